/* The live lab's page: sends each thing the learner does to the lab's server, where the engine
   computes the new state, and draws the view that comes back. The page never computes a loss,
   a gradient or an update; numbers it shows carry their full value in data-value attributes.
   The page's address (#s=...) always holds the current state, so it can be shared. */
(function () {
  "use strict";
  var P = window.LabPlots, fmt = P.fmt;
  var TOKEN = document.body.getAttribute("data-token");
  var MENU = JSON.parse(document.body.getAttribute("data-menu"));
  var RULES = {};
  MENU.forEach(function (r) { RULES[r.key] = r; });
  var view = null, session = null, socket = null;
  var selectedPoint = null, running = null, gestures = 0;
  var timings = window.labTimings = [], parts_ = window.labTimingParts = [];
  /* true when every action sent has been answered and drawn (tests and the benchmark wait on it) */
  window.labIdle = function () { return !busy && !queue.length && session !== null; };
  function $(id) { return document.getElementById(id); }

  /* --- talking to the server: one action in flight; a newer drag replaces a waiting one ----- */
  var busy = false, queue = [], waiting = null, tags = 0;
  function act(action, t0) {
    action.t0 = t0 === undefined ? performance.now() : t0;
    var q = action.coalesce ? queue.filter(function (a) { return a.coalesce === action.coalesce; })[0] : null;
    if (q) queue[queue.indexOf(q)] = action; else queue.push(action);
    pump();
  }
  function pump() {
    if (busy || !queue.length || !session) return;
    var action = queue.shift(), t0 = action.t0, body = {};
    for (var k in action) if (k !== "t0" && k !== "coalesce") body[k] = action[k];
    busy = true;
    var sent = performance.now();
    send(body).then(function (answer) {
      var got = performance.now();
      busy = false;
      if (answer.error) showError(answer.error); else render(answer.view, t0, [sent - t0, got - sent]);
      pump();
    });
  }
  function send(body) {
    if (socket && socket.readyState === 1) {
      return new Promise(function (resolve) {
        body.tag = ++tags;
        waiting = resolve;
        socket.send(JSON.stringify(body));
      });
    }
    return post("api/sessions/" + session, body);
  }
  function post(path, body) {
    return fetch("/" + path + "?token=" + encodeURIComponent(TOKEN), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return r.ok ? j : { error: j.error || ("the lab answered " + r.status) }; });
    }, function () { return { error: "the lab does not answer: was it stopped? Start it again and reload." }; });
  }
  function openSocket() {
    var url = "ws://" + location.host + "/ws/" + session + "?token=" + encodeURIComponent(TOKEN);
    try { socket = new WebSocket(url); } catch (e) { socket = null; return; }
    socket.onmessage = function (e) {
      var answer = JSON.parse(e.data), done = waiting;
      waiting = null;
      if (done) done(answer);
    };
    socket.onclose = function () {
      socket = null;
      if (waiting) { var done = waiting; waiting = null; done({ error: "the connection to the lab closed; trying again over HTTP" }); }
    };
  }

  /* --- messages ------------------------------------------------------------------------- */
  function showError(text) {
    var e = $("error");
    e.textContent = text;
    e.hidden = !text;
    if (text) pause();
  }
  function showWarning(text) {
    $("warning").textContent = text;
    $("warning").hidden = !text;
    if (text) pause();
  }

  /* --- numbers in text: <b class="num" data-key data-value> -------------------------------- */
  function num(key, value) {
    var b = document.createElement("b");
    b.className = "num";
    b.setAttribute("data-key", key);
    b.setAttribute("data-value", JSON.stringify(value));
    b.textContent = fmt(value);
    return b;
  }
  function setNum(node, value) {
    node.setAttribute("data-value", JSON.stringify(value));
    node.textContent = fmt(value);
  }
  function line(parts) {
    var li = document.createElement("li");
    parts.forEach(function (p) { li.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
    return li;
  }
  function batchText(v) {
    var n = v.data.x.length;
    if (v.batch.length === n && v.settings.batching === "gd") return "all " + n + " points";
    var shown = v.batch.slice(0, 8).map(function (i) { return i + 1; }).join(", ");
    return (v.batch.length === 1 ? "point " : v.batch.length + " points: ") + shown + (v.batch.length > 8 ? ", ..." : "");
  }
  function drawUpdate(v) {
    var ol = $("update-text"), s = v.settings, loss = s.loss.toUpperCase();
    P.clear(ol);
    ol.appendChild(line(["forward: on " + batchText(v) + ", the " + loss + " of the batch is L = ", num("batch_loss", v.batch_loss)]));
    ol.appendChild(line(["backward: dL/dw = ", num("grad.w", v.grad.w), ", dL/db = ", num("grad.b", v.grad.b)]));
    var pv = v.step_preview;
    if (pv && pv.w !== undefined) {
      var rule = s.optimizer === "gd" ? "w - lr * dL/dw" : v.rule + "'s step";
      ol.appendChild(line(["update (" + rule + ", lr = ", num("lr", s.lr), "): w becomes ", num("next.w", pv.w),
        ", b becomes ", num("next.b", pv.b), ", and the loss over all points ", num("next.loss", pv.loss)]));
    } else if (pv) {
      ol.appendChild(line(["update: the engine refuses it: " + pv.error]));
    }
    setNum($("loss"), v.loss);
    var where = "update " + v.update + " done; next: update " + (v.update + 1) + ", epoch " + v.epoch +
      (v.batches > 1 ? ", batch " + (v.batch_index + 1) + " of " + v.batches : "");
    $("where").textContent = where;
  }

  /* --- the settings controls follow the view (unless the learner is typing in one) ---------- */
  function setValue(input, value) {
    if (document.activeElement !== input) input.value = value;
  }
  function drawSettings(v) {
    var s = v.settings;
    setValue($("w-input"), String(v.params.w));
    setValue($("b-input"), String(v.params.b));
    setValue($("lr-input"), String(s.lr));
    setValue($("lr-slider"), String(Math.log10(s.lr)));
    if ($("optimizer").value !== s.optimizer) $("optimizer").value = s.optimizer;
    $("rule-summary").textContent = RULES[s.optimizer].summary || "";
    drawOptions(s);
    Array.prototype.forEach.call(document.querySelectorAll("input[name=batching]"), function (r) { r.checked = r.value === s.batching; });
    setValue($("batch-size"), String(s.batch_size));
    $("order").value = s.order;
    setValue($("seed"), String(s.seed));
    $("drop-last").checked = s.drop_last;
    $("order").disabled = $("seed").disabled = s.batching === "gd";
    $("drop-last").disabled = s.batching !== "minibatch";
    $("engine").value = s.engine;
    $("loss-name").value = s.loss;
    drawStable(v);
  }
  function drawOptions(s) {
    var box = $("options"), rule = RULES[s.optimizer];
    if (box.getAttribute("data-rule") !== s.optimizer) {
      P.clear(box);
      box.setAttribute("data-rule", s.optimizer);
      rule.options.forEach(function (o) {
        var label = document.createElement("label");
        label.title = o.help;
        label.appendChild(document.createTextNode(o.name + " "));
        var count = o.kind === "pair" ? 2 : 1;
        for (var j = 0; j < count; j++) {
          var input = document.createElement("input");
          input.type = o.kind === "bool" ? "checkbox" : "number";
          if (o.kind !== "bool") input.step = "any";
          input.setAttribute("data-option", o.name);
          input.setAttribute("data-part", String(j));
          input.setAttribute("aria-label", o.name + (count > 1 ? " " + (j + 1) : ""));
          input.addEventListener("change", sendOptions);
          label.appendChild(input);
        }
        box.appendChild(label);
      });
      if (!rule.options.length) box.textContent = "(no options)";
    }
    Array.prototype.forEach.call(box.querySelectorAll("input"), function (input) {
      var value = s.options[input.getAttribute("data-option")];
      if (Array.isArray(value)) value = value[parseInt(input.getAttribute("data-part"), 10)];
      if (input.type === "checkbox") input.checked = !!value; else setValue(input, String(value));
    });
  }
  function sendOptions() {
    var options = {};
    Array.prototype.forEach.call($("options").querySelectorAll("input"), function (input) {
      var name = input.getAttribute("data-option"), part = parseInt(input.getAttribute("data-part"), 10);
      var value = input.type === "checkbox" ? input.checked : parseNumber(input.value);
      var kind = RULES[$("optimizer").value].options.filter(function (o) { return o.name === name; })[0].kind;
      if (kind === "pair") { options[name] = options[name] || [null, null]; options[name][part] = value; }
      else options[name] = value;
    });
    act({ op: "settings", changes: { options: options } });
  }
  /* "1e-3", "0.5": a number; anything else goes to the server as text, which refuses it with a reason */
  function parseNumber(text) {
    var t = String(text).trim();
    return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : t;
  }

  /* --- the learning-rate slider: log scale, the stable limits marked ---------------------- */
  function drawStable(v) {
    var slider = $("lr-slider"), scale = $("lr-scale"), st = v.stable, s = v.settings;
    var ref = st.gd || 0.01;
    var lo = Math.floor(Math.log10(Math.min(ref, s.lr))) - 3, hi = Math.ceil(Math.log10(Math.max(ref, s.lr))) + 1;
    slider.min = String(lo); slider.max = String(hi);
    setValue(slider, String(Math.log10(s.lr)));
    P.clear(scale);
    function mark(value, text, cls) {
      if (!value) return;
      var at = (Math.log10(value) - lo) / (hi - lo) * 100;
      var m = document.createElement("span");
      m.className = "mark " + cls;
      m.style.left = at + "%";
      m.setAttribute("data-key", "stable." + cls);
      m.setAttribute("data-value", JSON.stringify(value));
      m.textContent = text + " = " + fmt(value);
      scale.appendChild(m);
    }
    mark(st.gd, "2/\u03bbmax", "gd");
    if (s.batching === "sgd") mark(st.sgd, "1/max|a|\u00b2", "sgd");
    $("stable-note").textContent = st.text ? st.text.charAt(0).toUpperCase() + st.text.slice(1) + "." : "";
  }

  /* --- drawing a view ------------------------------------------------------------------- */
  var dataFrame = null, landFrame = null, dragging = null, graph = null;
  function render(v, t0, parts) {
    view = v;
    showError(v.error || "");
    showWarning(v.warning || "");
    drawUpdate(v);
    drawSettings(v);
    dataFrame = P.drawData($("data-svg"), v, dataFrame, selectedPoint, !!(dragging && dragging.kind === "point"));
    if (v.landscape) landFrame = P.drawLandscapeCells($("landscape-svg"), v.landscape, v.names);
    if (landFrame) P.drawLandscape(landFrame, v);
    P.drawLoss($("loss-svg"), v);
    graph.show(v.graph);
    pointInfo();
    $("undo").disabled = false;
    var hash = "#s=" + v.code + (graph.selected ? "&node=" + graph.selected : "");
    if (location.hash !== hash) history.replaceState(null, "", hash);
    document.body.setAttribute("data-update", String(v.update));
    if (t0 !== undefined) {
      var drawn = performance.now();
      requestAnimationFrame(function () {
        var now = performance.now();
        timings.push(now - t0);
        /* where the time went: waiting for an earlier answer, the server, drawing, the frame */
        if (parts) parts_.push([parts[0], parts[1], drawn - t0 - parts[0] - parts[1], now - drawn]);
        if (timings.length > 2000) { timings.shift(); parts_.shift(); }
      });
    }
  }
  /* for the benchmark: draw the current view again, n times, and return the milliseconds each took */
  window.labView = function () { return view; };
  window.labRedrawView = function (v, n) {
    var t = performance.now();
    for (var k = 0; k < n; k++) render(v);
    return (performance.now() - t) / n;
  };
  function pointInfo() {
    var info = $("point-info");
    $("remove-point").disabled = selectedPoint === null;
    P.clear(info);
    if (selectedPoint === null || !view || selectedPoint >= view.data.x.length) { selectedPoint = null; return; }
    var d = view.data, i = selectedPoint, names = view.names;
    info.appendChild(document.createTextNode("point " + (i + 1) + ": " + names[0] + " = "));
    info.appendChild(num("point.x", d.x[i]));
    info.appendChild(document.createTextNode(", " + names[1] + " = "));
    info.appendChild(num("point.y", d.y[i]));
    info.appendChild(document.createTextNode(", prediction f = "));
    info.appendChild(num("point.f", d.f[i]));
    info.appendChild(document.createTextNode(", residual f - y = "));
    info.appendChild(num("point.r", d.r[i]));
  }

  /* --- the controls ------------------------------------------------------------------------ */
  function step() { act({ op: "step" }); }
  function pause() {
    if (running !== null) { clearTimeout(running); running = null; }
    $("run").textContent = "\u25B6 run";
    $("run").setAttribute("aria-pressed", "false");
  }
  function run() {
    $("run").textContent = "\u23F8 pause";
    $("run").setAttribute("aria-pressed", "true");
    var tick = function () {
      if (running === null) return;
      var t = performance.now();
      if (!busy && !queue.length) act({ op: "step" });
      running = setTimeout(tick, Math.max(0, 1000 / parseFloat($("speed").value) - (performance.now() - t)));
    };
    running = setTimeout(tick, 0);
  }
  function settings(changes) { act({ op: "settings", changes: changes }); }
  function wire() {
    $("step").addEventListener("click", function () { pause(); step(); });
    $("run").addEventListener("click", function () { if (running === null) run(); else pause(); });
    $("reset").addEventListener("click", function () { pause(); act({ op: "reset" }); });
    $("undo").addEventListener("click", function () { pause(); act({ op: "undo" }); });
    ["w-input", "b-input"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        act({ op: "set_params", w: parseNumber($("w-input").value), b: parseNumber($("b-input").value) });
      });
    });
    $("lr-input").addEventListener("change", function () { settings({ lr: parseNumber($("lr-input").value) }); });
    $("lr-slider").addEventListener("input", function () {
      var lr = Number(Math.pow(10, parseFloat($("lr-slider").value)).toPrecision(3));
      act({ op: "settings", changes: { lr: lr }, coalesce: "lr" });
    });
    $("optimizer").addEventListener("change", function () { settings({ optimizer: $("optimizer").value }); });
    Array.prototype.forEach.call(document.querySelectorAll("input[name=batching]"), function (r) {
      r.addEventListener("change", function () { if (r.checked) settings({ batching: r.value }); });
    });
    $("batch-size").addEventListener("change", function () {
      settings({ batching: "minibatch", batch_size: parseNumber($("batch-size").value) });
    });
    $("order").addEventListener("change", function () { settings({ order: $("order").value }); });
    $("seed").addEventListener("change", function () { settings({ seed: parseNumber($("seed").value) }); });
    $("drop-last").addEventListener("change", function () { settings({ drop_last: $("drop-last").checked }); });
    $("engine").addEventListener("change", function () { settings({ engine: $("engine").value }); });
    $("loss-name").addEventListener("change", function () { settings({ loss: $("loss-name").value }); });
    $("remove-point").addEventListener("click", removePoint);
    $("copy-link").addEventListener("click", copyLink);
    $("open-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = $("open-link").value.trim(), at = text.indexOf("s=");
      var code = at >= 0 ? text.slice(at + 2).split("&")[0] : text.split("#").pop();
      try { code = decodeURIComponent(code); } catch (err) { /* the server says what is wrong with it */ }
      act({ op: "load", code: code });
    });
    $("csv-form").addEventListener("submit", function (e) { e.preventDefault(); uploadCsv(); });
    document.addEventListener("keydown", keys);
    wirePlots();
  }
  function keys(e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    if ((e.ctrlKey || e.metaKey) && e.key === "z") { pause(); act({ op: "undo" }); e.preventDefault(); }
    else if (e.key === "s" || e.key === "S") { pause(); step(); }
    else if (e.key === " " && tag !== "button") { if (running === null) run(); else pause(); e.preventDefault(); }
    else if ((e.key === "Delete" || e.key === "Backspace") && selectedPoint !== null) { removePoint(); e.preventDefault(); }
  }
  function removePoint() {
    if (selectedPoint === null) return;
    var i = selectedPoint;
    selectedPoint = null;
    act({ op: "remove_point", i: i });
  }
  function copyLink() {
    var done = function () { $("copied").textContent = "copied"; setTimeout(function () { $("copied").textContent = ""; }, 2000); };
    if (navigator.clipboard) navigator.clipboard.writeText(location.href).then(done, function () { $("copied").textContent = location.href; });
    else $("copied").textContent = location.href;
  }
  function uploadCsv() {
    var file = $("csv-file").files[0];
    if (!file) { showError("choose a CSV file first"); return; }
    if (file.size > 1000000) { showError(file.name + " is " + file.size + " bytes, more than the lab reads (1000000 bytes)"); return; }
    var reader = new FileReader();
    reader.onload = function () {
      act({ op: "csv", name: file.name, text: String(reader.result), x: $("csv-x").value, y: $("csv-y").value });
    };
    reader.onerror = function () { showError("could not read " + file.name); };
    reader.readAsText(file);
  }

  /* --- dragging in the plots: data points, the landscape's point -------------------------- */
  function wirePlots() {
    var dsvg = $("data-svg"), lsvg = $("landscape-svg");
    dsvg.addEventListener("pointerdown", function (e) {
      if (!dataFrame || !view) return;
      var c = e.target.closest ? e.target.closest("circle.point") : null;
      var at = dataFrame.at(e);
      if (c) {
        selectedPoint = parseInt(c.getAttribute("data-i"), 10);
        dragging = { kind: "point", i: selectedPoint, gesture: ++gestures, moved: false };
        dsvg.setPointerCapture(e.pointerId);
        pointInfo();
      } else if (dataFrame.inside(at[0], at[1])) {
        act({ op: "add_point", x: dataFrame.ix(at[0]), y: dataFrame.iy(at[1]) }, e.timeStamp);
      }
      e.preventDefault();
    });
    dsvg.addEventListener("pointermove", function (e) {
      if (!dragging || dragging.kind !== "point") return;
      var at = dataFrame.at(e);
      dragging.moved = true;
      act({ op: "move_point", i: dragging.i, x: dataFrame.ix(at[0]), y: dataFrame.iy(at[1]), gesture: dragging.gesture, coalesce: "drag" }, e.timeStamp);
    });
    lsvg.addEventListener("pointerdown", function (e) {
      if (!landFrame || !view) return;
      var at = landFrame.at(e);
      if (!landFrame.inside(at[0], at[1])) return;
      pause();
      dragging = { kind: "landscape", gesture: ++gestures };
      lsvg.setPointerCapture(e.pointerId);
      act({ op: "set_params", w: landFrame.ix(at[0]), b: landFrame.iy(at[1]), gesture: dragging.gesture, coalesce: "drag" }, e.timeStamp);
      e.preventDefault();
    });
    lsvg.addEventListener("pointermove", function (e) {
      if (!dragging || dragging.kind !== "landscape") return;
      var at = landFrame.at(e);
      act({ op: "set_params", w: landFrame.ix(at[0]), b: landFrame.iy(at[1]), gesture: dragging.gesture, coalesce: "drag" }, e.timeStamp);
    });
    var end = function () {
      var was = dragging;
      dragging = null;
      if (was && was.kind === "point" && view) dataFrame = P.drawData($("data-svg"), view, dataFrame, selectedPoint, false);
    };
    dsvg.addEventListener("pointerup", end);
    lsvg.addEventListener("pointerup", end);
    lsvg.addEventListener("keydown", function (e) {
      if (!view || !landFrame) return;
      var dw = (landFrame.xr[1] - landFrame.xr[0]) / 50, db = (landFrame.yr[1] - landFrame.yr[0]) / 50;
      var d = { ArrowLeft: [-dw, 0], ArrowRight: [dw, 0], ArrowUp: [0, db], ArrowDown: [0, -db] }[e.key];
      if (!d) return;
      act({ op: "set_params", w: view.params.w + d[0], b: view.params.b + d[1], gesture: "keys", coalesce: "drag" });
      e.preventDefault();
    });
  }

  /* --- start: a session for this tab, from the address's state (or the lab's first state) -- */
  function boot() {
    var menu = $("optimizer");
    MENU.forEach(function (r) {
      var o = document.createElement("option");
      o.value = r.key; o.textContent = r.title;
      menu.appendChild(o);
    });
    graph = new window.LabGraph(function () {
      if (view) history.replaceState(null, "", "#s=" + view.code + "&node=" + graph.selected);
    });
    wire();
    var hash = new URLSearchParams(location.hash.slice(1));
    var attach = new URLSearchParams(location.search).get("session");
    graph.selected = hash.get("node");
    var start = attach ? post("api/sessions/" + attach, { op: "view" }).then(function (a) {
      if (a.error) return post("api/sessions", { code: hash.get("s") || null });
      a.session = attach;
      return a;
    }) : post("api/sessions", { code: hash.get("s") || null });
    start.then(function (answer) {
      if (answer.error) {
        showError(answer.error + (hash.get("s") ? " -- the lab opened on its own first state instead." : ""));
        if (hash.get("s")) return post("api/sessions", { code: null }).then(begin);
        return null;
      }
      return begin(answer);
    });
  }
  function begin(answer) {
    if (!answer || answer.error) { if (answer) showError(answer.error); return; }
    session = answer.session;
    render(answer.view);
    document.body.setAttribute("data-ready", "1");
    openSocket();
  }
  boot();
})();
