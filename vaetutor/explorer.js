// The latent explorer's page script (see explorer.py): turns the still scatter(s) into panels
// where the pointer picks a lattice cell and the decoder's image of that cell is drawn beside.
// Everything it needs is in the output itself: the configuration (JSON) and data: images.
function vaetutorExplorer(id) {
  var root = document.getElementById(id);
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var config = JSON.parse(root.querySelector(".vt-config").textContent);
  var still = root.querySelector(".vt-still");
  var images = Array.prototype.slice.call(still.querySelectorAll("img.vt-plane"));
  var style = document.createElement("style");
  style.textContent =
    "#" + id + " .vt-panels{display:flex;flex-wrap:wrap;gap:1.2em}" +
    "#" + id + " .vt-panel{display:flex;align-items:center;gap:.6em}" +
    // side by side: one column per model, the scatter above its decoded image, shrunk to fit
    "#" + id + " .vt-columns{flex-wrap:nowrap;align-items:flex-start}" +
    "#" + id + " .vt-columns .vt-panel{flex:1 1 0;min-width:0;flex-direction:column}" +
    "#" + id + " .vt-columns .vt-box img{width:100%}" +
    "#" + id + " .vt-columns canvas{width:140px;height:140px}" +
    "#" + id + " .vt-box{position:relative;line-height:0}" +
    "#" + id + " .vt-box img{touch-action:none;cursor:crosshair;max-width:100%;height:auto}" +
    "#" + id + " .vt-mark{position:absolute;width:9px;height:9px;margin:-5px 0 0 -5px;" +
    "border:2px solid #000;border-radius:50%;pointer-events:none;box-shadow:0 0 0 1px #fff}" +
    "#" + id + " canvas{width:168px;height:168px;image-rendering:pixelated;border:1px solid #888}" +
    "#" + id + " .vt-coords{font:13px monospace;margin-top:.3em;white-space:pre}" +
    "#" + id + " .vt-controls{font:14px sans-serif;margin:.4em 0}";
  root.appendChild(style);

  function sprite(plane) {
    if (!plane.image) {
      plane.image = new Image();
      plane.image.src = plane.sprite;
    }
    return plane.image;
  }

  // One panel: a scatter (an <img>) with a marker, and a canvas showing the decoded cell.
  function Panel(img, index) {
    var panel = this;
    this.element = document.createElement("div");
    this.element.className = "vt-panel";
    var box = document.createElement("div");
    box.className = "vt-box";
    this.mark = document.createElement("div");
    this.mark.className = "vt-mark";
    box.appendChild(img);
    box.appendChild(this.mark);
    var side = document.createElement("div");
    this.canvas = document.createElement("canvas");
    this.coords = document.createElement("div");
    this.coords.className = "vt-coords";
    side.appendChild(this.canvas);
    side.appendChild(this.coords);
    this.element.appendChild(box);
    this.element.appendChild(side);
    this.img = img;
    this.firstScatter = img.src;
    img.addEventListener("pointermove", function (event) { panel.point(event); });
    img.addEventListener("pointerdown", function (event) { panel.point(event); });
    img.draggable = false;
    this.show(index);
  }

  // Switch the panel to plane `index`, keeping the code under the marker.
  Panel.prototype.show = function (index) {
    var plane = config.planes[index];
    this.plane = plane;
    this.index = index;
    this.img.src = plane.scatter || this.firstScatter;
    this.canvas.width = plane.tile[1];
    this.canvas.height = plane.tile[0];
    this.canvas.setAttribute("data-plane", plane.name);
    var x0 = plane.extent[0], y0 = plane.extent[1], L = plane.extent[2];
    var z = this.z && this.z[0] >= x0 && this.z[0] <= x0 + L && this.z[1] >= y0 &&
            this.z[1] <= y0 + L ? this.z : [x0 + L / 2, y0 + L / 2];
    this.draw(z);
  };

  // The pointer's position in the scatter's own pixels -> the code z there -> its cell.
  Panel.prototype.point = function (event) {
    var rect = this.img.getBoundingClientRect();
    var scale = this.plane.size[0] / rect.width;
    var px = (event.clientX - rect.left) * scale, py = (event.clientY - rect.top) * scale;
    var a = this.plane.axes;  // left, top, width, height of the axes in the scatter's pixels
    if (px < a[0] || px > a[0] + a[2] || py < a[1] || py > a[1] + a[3]) return;
    var x0 = this.plane.extent[0], y0 = this.plane.extent[1], L = this.plane.extent[2];
    this.draw([x0 + (px - a[0]) / a[2] * L, y0 + L - (py - a[1]) / a[3] * L]);
  };

  Panel.prototype.draw = function (z) {
    var plane = this.plane, g = plane.grid, L = plane.extent[2], w = L / g;
    var x0 = plane.extent[0], y0 = plane.extent[1];
    var row = Math.min(g - 1, Math.max(0, Math.floor((y0 + L - z[1]) / w)));
    var col = Math.min(g - 1, Math.max(0, Math.floor((z[0] - x0) / w)));
    var centre = [x0 + (col + 0.5) * w, y0 + L - (row + 0.5) * w];
    this.z = z;
    var a = plane.axes;  // the marker in percent of the scatter's size, whatever its display size
    this.mark.style.left = (a[0] + (z[0] - x0) / L * a[2]) / plane.size[0] * 100 + "%";
    this.mark.style.top = (a[1] + (y0 + L - z[1]) / L * a[3]) / plane.size[1] * 100 + "%";
    this.canvas.setAttribute("data-cell", row + "," + col);
    this.coords.textContent = plane.name + "\nz = (" + centre[0].toFixed(2) + ", " +
                              centre[1].toFixed(2) + ")";
    var canvas = this.canvas, image = sprite(plane), h = plane.tile[0], tw = plane.tile[1];
    var paint = function () {
      var ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(image, col * tw, row * h, tw, h, 0, 0, tw, h);
      canvas.setAttribute("data-drawn", row + "," + col);
    };
    if (image.complete && image.naturalWidth) paint();
    else image.addEventListener("load", paint, {once: true});
  };

  var ui = document.createElement("div");
  ui.className = "vt-ui";
  if (config.title) {
    var heading = document.createElement("div");
    heading.className = "vt-controls";
    heading.textContent = config.title;
    ui.appendChild(heading);
  }
  var panels = document.createElement("div");
  panels.className = "vt-panels";
  ui.appendChild(panels);
  if (config.layout === "slider") {
    var panel = new Panel(images[0], 0);
    var controls = document.createElement("label");
    controls.className = "vt-controls";
    var slider = document.createElement("input");
    slider.type = "range";
    slider.min = 0;
    slider.max = config.planes.length - 1;
    slider.step = 1;
    slider.value = 0;
    var name = document.createElement("span");
    name.textContent = " " + config.planes[0].name;
    slider.addEventListener("input", function () {
      panel.show(Number(slider.value));
      name.textContent = " " + config.planes[panel.index].name;
    });
    controls.appendChild(document.createTextNode("model "));
    controls.appendChild(slider);
    controls.appendChild(name);
    ui.insertBefore(controls, panels);
    panels.appendChild(panel.element);
  } else {
    panels.className += " vt-columns";
    images.forEach(function (img, i) { panels.appendChild(new Panel(img, i).element); });
  }
  still.parentNode.insertBefore(ui, still);
  still.parentNode.removeChild(still);
}
