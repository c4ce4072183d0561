// landscape's page controller: draws each view with plotly, then moves the balls.
// Data (from page.py): views[i].figure is a plotly figure at time step 0; views[i].balls holds
// the balls' plane positions [F, N, 2] (float32), the surface loss under each ball [F, N]
// (float32) and flags [F, N] (uint8: 1 escaped, 2 settled), base64-encoded, with map[k] = the
// stored frame shown at time step k. z is computed here with the renderer's height scale.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("landscape-data").textContent);
  var nSteps = Math.max(1, data.steps);
  var state = { k: 0, playing: false, speed: 1, timer: null, once: false, acc: 0 };
  var PATH_POINTS = 60;       // samples per ball path: enough to look smooth when drawn

  function decode(b64, Type) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }

  function dequantize(q, lo, step) {
    var out = new Float32Array(q.length);
    for (var i = 0; i < q.length; i += 2) {
      out[i] = lo[0] + q[i] * step[0];
      out[i + 1] = lo[1] + q[i + 1] * step[1];
    }
    return out;
  }

  function prepare(v) {
    var b = v.balls;
    if (!b) return null;
    var groups = [];
    for (var g = 0; g < b.colors.length; g++) groups.push([]);
    b.group.forEach(function (g, i) { groups[g].push(i); });
    var data = v.figure.data;
    var first = -1, census = -1;
    for (var t = 0; t < data.length; t++) {
      if (first < 0 && data[t].legendgroup === "g0") first = t;
      if (data[t].name === "minima found") census = t;
    }
    return { n: b.n, F: b.frames, map: b.map, steps: b.steps, groups: groups,
             colors: b.colors, ab: dequantize(decode(b.ab, Uint16Array), b.abLo, b.abStep), loss: decode(b.loss, Float32Array),
             flags: decode(b.flags, Uint8Array), s: b.scale, ext: b.extent, first: first,
             census: census, censusShown: false };
  }

  function zOf(s, loss) {
    var x = isFinite(loss) ? Math.min(Math.max(loss, s.lo), s.hi) : s.hi;
    var h = s.log ? Math.log10(x) : x;
    return (h - s.hLo) * s.zPerH;
  }

  function clampTo(x, lo, hi) {
    var m = 0.02 * (hi - lo);
    return Math.min(Math.max(x, lo - m), hi + m);
  }

  function drawBalls(gd, B, k) {
    var j = B.map[Math.min(k, B.map.length - 1)];
    var n = B.n, s = B.s, e = B.ext, lift = s.radius;
    var X = [], Y = [], Z = [], C = [], T = [], D = [];
    var PX = [], PY = [], PZ = [];
    var stride = Math.max(1, Math.ceil((j + 1) / PATH_POINTS));
    var samples = [];
    for (var f = 0; f <= j; f += stride) samples.push(f);
    if (samples[samples.length - 1] !== j) samples.push(j);
    for (var g = 0; g < B.groups.length; g++) {
      var idx = B.groups[g];
      var x = [], y = [], z = [], c = [], t = [], d = [], px = [], py = [], pz = [];
      for (var q = 0; q < idx.length; q++) {
        var i = idx[q], o = j * n + i;
        var a = B.ab[2 * o], bb = B.ab[2 * o + 1], l = B.loss[o], fl = B.flags[o];
        x.push(clampTo(a, e[0], e[1])); y.push(clampTo(bb, e[2], e[3]));
        z.push(zOf(s, l) + lift);
        c.push(fl & 1 ? data.theme.escaped : B.colors[g]);
        t.push(fl & 1 ? "escaped (frozen where it left)" : (fl & 2 ? "settled" : "rolling"));
        d.push([l, a, bb]);
        for (var m = 0; m < samples.length; m++) {
          var p = samples[m] * n + i;
          px.push(clampTo(B.ab[2 * p], e[0], e[1]));
          py.push(clampTo(B.ab[2 * p + 1], e[2], e[3]));
          pz.push(zOf(s, B.loss[p]) + 0.55 * lift);
        }
        px.push(NaN); py.push(NaN); pz.push(NaN);
      }
      X.push(x); Y.push(y); Z.push(z); C.push(c); T.push(t); D.push(d);
      PX.push(px); PY.push(py); PZ.push(pz);
    }
    // one restyle for every trace: each call redraws the whole WebGL scene
    var traces = [], u = { x: [], y: [], z: [], "marker.color": [], text: [], customdata: [],
                           visible: [] };
    for (g = 0; g < B.groups.length; g++) {
      traces.push(B.first + 2 * g, B.first + 2 * g + 1);
      u.x.push(PX[g], X[g]); u.y.push(PY[g], Y[g]); u.z.push(PZ[g], Z[g]);
      u["marker.color"].push(undefined, C[g]); u.text.push(undefined, T[g]);
      u.customdata.push(undefined, D[g]); u.visible.push(undefined, undefined);
    }
    // the census (where the balls settled) belongs to the last step: shown there only
    var showCensus = j === B.F - 1 && k === nSteps - 1, lay = {};
    if (B.census >= 0 && showCensus !== B.censusShown) {
      B.censusShown = showCensus;
      traces.push(B.census);
      ["x", "y", "z", "marker.color", "text", "customdata"].forEach(function (a) { u[a].push(undefined); });
      u.visible.push(showCensus);
      var notes = gd.layout.scene.annotations || [];
      for (var a = 0; a < notes.length; a++) lay["scene.annotations[" + a + "].visible"] = showCensus;
    }
    return Plotly.update(gd, u, lay, traces);
  }

  var plots = [], balls = [];
  var controls = {
    play: document.getElementById("play"), restart: document.getElementById("restart"),
    time: document.getElementById("time"), step: document.getElementById("step"),
    speed: document.getElementById("speed"), caption: document.getElementById("caption")
  };

  function stepLabel(k) {
    var parts = [];
    balls.forEach(function (B) {
      if (B) parts.push(B.steps[B.map[Math.min(k, B.map.length - 1)]]);
    });
    var uniq = parts.filter(function (v, i) { return parts.indexOf(v) === i; });
    var last = balls.map(function (B) { return B ? B.steps[B.F - 1] : 0; });
    return "step " + uniq.join(" / ") + " of " + Math.max.apply(null, last.concat([0]));
  }

  function show(k) {
    state.k = Math.max(0, Math.min(nSteps - 1, k));
    document.documentElement.setAttribute("data-frame", String(state.k));
    if (controls.time) {
      controls.time.value = String(state.k);
      controls.step.textContent = stepLabel(state.k);
      controls.caption.textContent = data.captions[state.k] || "";
    }
    return Promise.all(plots.map(function (gd, i) {
      return balls[i] ? drawBalls(gd, balls[i], state.k) : Promise.resolve();
    }));
  }

  function setPlaying(on) {
    state.playing = on;
    if (controls.play) {
      controls.play.innerHTML = on ? "&#10074;&#10074;" : "&#9654;";
      controls.play.setAttribute("aria-label", on ? "pause" : "play");
    }
    if (state.timer) { clearTimeout(state.timer); state.timer = null; }
    if (on) { state.last = performance.now(); state.acc = 0; tick(); }
  }

  function tick() {
    // time steps per second at 1× so the whole timeline lasts data.seconds
    var rate = nSteps / Math.max(data.seconds, 0.1) * state.speed;
    var ms = Math.max(33, 1000 / rate);
    state.timer = setTimeout(function () {
      state.timer = null;
      if (!state.playing) return;
      // advance by the time that really passed, so a slow machine drops steps, not pace
      var now = performance.now();
      state.acc += rate * (now - state.last) / 1000;
      state.last = now;
      var adv = Math.floor(state.acc);
      state.acc -= adv;
      var next = state.k + Math.max(adv, 0);
      if (next >= nSteps - 1) {
        show(nSteps - 1).then(function () {
          setPlaying(false);
          if (state.once) document.documentElement.setAttribute("data-played", "1");
        });
        return;
      }
      show(next).then(function () { if (state.playing) tick(); });
    }, ms);
  }

  function toggle() {
    if (!data.animated) return;
    if (!state.playing && state.k >= nSteps - 1) show(0);
    setPlaying(!state.playing);
  }

  function wire() {
    if (!controls.time) return;
    controls.time.max = String(nSteps - 1);
    controls.play.addEventListener("click", toggle);
    controls.restart.addEventListener("click", function () { setPlaying(false); show(0); });
    controls.time.addEventListener("input", function () {
      setPlaying(false); show(parseInt(controls.time.value, 10));
    });
    controls.speed.addEventListener("change", function () {
      state.speed = parseFloat(controls.speed.value) || 1;
    });
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target && ev.target.tagName) || "";
      if (tag === "SELECT" || tag === "INPUT" && ev.target.type !== "range") return;
      if (ev.key === " ") { ev.preventDefault(); toggle(); }
      else if (ev.key === "ArrowRight") { ev.preventDefault(); setPlaying(false); show(state.k + 1); }
      else if (ev.key === "ArrowLeft") { ev.preventDefault(); setPlaying(false); show(state.k - 1); }
      else if (ev.key === "Home") { setPlaying(false); show(0); }
    });
  }

  function linkCameras() {
    // views side by side turn together, as the video's views share one camera
    if (plots.length < 2) return;
    var busy = false;
    plots.forEach(function (gd) {
      gd.on("plotly_relayout", function (ev) {
        // a drag reports "scene.camera"; a script may set "scene.camera.eye" alone
        var moved = ev && Object.keys(ev).some(function (k) { return k.indexOf("scene.camera") === 0; });
        if (busy || !moved) return;
        busy = true;
        var cam = JSON.parse(JSON.stringify(gd.layout.scene.camera));
        Promise.all(plots.filter(function (o) { return o !== gd; }).map(function (o) {
          return Plotly.relayout(o, { "scene.camera": cam });
        })).then(function () { busy = false; }, function () { busy = false; });
      });
    });
  }

  var config = { responsive: true, displaylogo: false, scrollZoom: true,
                 modeBarButtonsToRemove: ["resetCameraLastSave3d", "sendDataToCloud"],
                 toImageButtonOptions: { format: "png", scale: 2, filename: "landscape" } };
  var made = data.views.map(function (v) {
    var gd = document.getElementById(v.id);
    plots.push(gd);
    balls.push(prepare(v));
    return Plotly.newPlot(gd, v.figure.data, v.figure.layout, config);
  });
  // for the console and the tests: landscape.show(k), landscape.play(), landscape.pause()
  window.landscape = { steps: nSteps,
                       show: function (k) { return show(k).then(function () { return state.k; }); },
                       play: function () { if (!state.playing) toggle(); },
                       pause: function () { setPlaying(false); },
                       frame: function () { return state.k; } };
  Promise.all(made).then(function () {
    wire();
    linkCameras();
    var hash = window.location.hash || "";
    var m = /frame=(\d+)/.exec(hash);
    state.once = /autoplay/.test(hash);
    return show(m ? parseInt(m[1], 10) : 0);
  }).then(function () {
    var ms = performance.now();
    window.landscapeReady = ms;
    document.documentElement.setAttribute("data-ready", ms.toFixed(0));
    console.info("landscape: interactive after " + ms.toFixed(0) + " ms");
    if (state.once && data.animated) setPlaying(true);
  });
})();
