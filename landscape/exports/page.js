// landscape's page controller: draws each view with plotly, then moves the balls.
// Data (from page.py): views[i].figure is a plotly figure at time step 0; views[i].balls holds
// the balls' plane positions [F, N, 2] (uint16 over their bounding box), the surface loss [F, N]
// (float32) and flags [F, N] (uint8: 1 escaped, 2 settled), base64-encoded, with map[k] = the
// stored frame shown at time step k and bmap[j] = the ball frame of stored frame j (a frame
// where no ball moved is not stored twice). z is computed here with the renderer's height scale.
// views[i].panel (one per ball group), .legend and .census are per stored frame too, computed in
// Python (landscape/exports/_overlays.py): the bars' values, honest colours and words, the
// legend lines and the census labels are drawn here as given, never recomputed.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("landscape-data").textContent);
  var nSteps = Math.max(1, data.steps);
  var state = { k: 0, playing: false, speed: 1, timer: null, once: false, acc: 0 };
  var SVG = "http://www.w3.org/2000/svg";

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
    var fig = v.figure.data;
    var first = -1, census = -1;
    for (var t = 0; t < fig.length; t++) {
      if (first < 0 && fig[t].legendgroup === "g0") first = t;
      if (fig[t].name === "minima found (census)") census = t;
    }
    var T = Math.max(2, b.trail || 2);
    return { n: b.n, F: b.frames, map: b.map, bmap: b.bmap, steps: b.steps, groups: groups,
             colors: b.colors, ab: dequantize(decode(b.ab, Uint16Array), b.abLo, b.abStep), loss: decode(b.loss, Float32Array),
             flags: decode(b.flags, Uint8Array), s: b.scale, ext: b.extent, first: first,
             census: census, cen: v.census, censusSet: -2, T: T,
             notes: (v.figure.layout.scene && v.figure.layout.scene.annotations) || [],
             fade: b.colors.map(function (c) { return fading(c, b.trailTail, T); }),
             fadeEscaped: fading(data.theme.escaped, b.trailTail, T) };
  }

  function rgbOf(hex) {
    var h = hex.replace("#", "");
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
  }

  // a trail's T colours, oldest first: darkening toward the theme's trail_tail with age, as the
  // video's trails (landscape/render/_meshes.py: mix 0.15 + 0.85 age^1.2)
  function fading(color, tail, T) {
    var c = rgbOf(color), t = rgbOf(tail), out = [];
    for (var m = 0; m < T; m++) {
      var w = 0.15 + 0.85 * Math.pow(m / (T - 1), 1.2);
      out.push("rgb(" + [0, 1, 2].map(function (q) {
        return Math.round(c[q] * w + t[q] * (1 - w));
      }).join(",") + ")");
    }
    return out;
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
    var PX = [], PY = [], PZ = [], PC = [];
    // the trail: each ball's positions at the last B.T time steps (the video's trail length)
    var samples = [];
    for (var kk = Math.max(0, k - B.T + 1); kk <= k; kk++) {
      samples.push(B.bmap[B.map[Math.min(kk, B.map.length - 1)]]);
    }
    var off = B.T - samples.length;
    for (var g = 0; g < B.groups.length; g++) {
      var idx = B.groups[g];
      var x = [], y = [], z = [], c = [], t = [], d = [], px = [], py = [], pz = [], pc = [];
      for (var q = 0; q < idx.length; q++) {
        var i = idx[q], o = B.bmap[j] * n + i;
        var a = B.ab[2 * o], bb = B.ab[2 * o + 1], l = B.loss[o], fl = B.flags[o];
        x.push(clampTo(a, e[0], e[1])); y.push(clampTo(bb, e[2], e[3]));
        z.push(zOf(s, l) + lift);
        c.push(fl & 1 ? data.theme.escaped : B.colors[g]);
        t.push(fl & 1 ? "escaped (frozen where it left)" : (fl & 2 ? "settled" : "rolling"));
        d.push([l, a, bb]);
        var fade = fl & 1 ? B.fadeEscaped : B.fade[g];
        for (var m = 0; m < samples.length; m++) {
          var p = samples[m] * n + i;
          px.push(clampTo(B.ab[2 * p], e[0], e[1]));
          py.push(clampTo(B.ab[2 * p + 1], e[2], e[3]));
          pz.push(zOf(s, B.loss[p]) + 0.55 * lift);
          pc.push(fade[off + m]);
        }
        px.push(NaN); py.push(NaN); pz.push(NaN); pc.push(fade[0]);
      }
      X.push(x); Y.push(y); Z.push(z); C.push(c); T.push(t); D.push(d);
      PX.push(px); PY.push(py); PZ.push(pz); PC.push(pc);
    }
    // one restyle for every trace: each call redraws the whole WebGL scene
    var traces = [], u = { x: [], y: [], z: [], "marker.color": [], "line.color": [], text: [],
                           customdata: [], hovertext: [] };
    for (g = 0; g < B.groups.length; g++) {
      traces.push(B.first + 2 * g, B.first + 2 * g + 1);
      u.x.push(PX[g], X[g]); u.y.push(PY[g], Y[g]); u.z.push(PZ[g], Z[g]);
      u["marker.color"].push(undefined, C[g]); u["line.color"].push(PC[g], undefined);
      u.text.push(undefined, T[g]); u.customdata.push(undefined, D[g]);
      u.hovertext.push(undefined, undefined);
    }
    // the census: the minima the settled balls had found at this step, labelled as the video
    var lay = {}, cen = B.cen, set = cen ? cen.map[j] : -1;
    if (B.census >= 0 && set !== B.censusSet) {
      B.censusSet = set;
      var S = set >= 0 ? cen.sets[set] : { x: [], y: [], z: [], text: [], hover: [] };
      traces.push(B.census);
      u.x.push(S.x); u.y.push(S.y); u.z.push(S.z); u.hovertext.push(S.hover);
      ["marker.color", "line.color", "text", "customdata"].forEach(function (a) { u[a].push(undefined); });
      lay["scene.annotations"] = B.notes.concat(S.text.map(function (txt, m) {
        return { x: S.x[m], y: S.y[m], z: S.z[m], text: txt, showarrow: true, arrowhead: 0,
                 arrowwidth: 1, ax: 0, ay: -30, arrowcolor: data.theme.accent,
                 font: { size: 11, color: data.theme.text }, bgcolor: data.theme.panel,
                 bordercolor: data.theme.accent, borderwidth: 1, borderpad: 3, opacity: 0.92 };
      }));
    }
    return Plotly.update(gd, u, lay, traces);
  }

  // ------------------------------------------------------------ the gradient panel and legend
  // The video's panel (landscape/render/panels/_gradients.py), in SVG: bars from the axis floor
  // to the group's mean ‖∇W‖ per layer (log10), min–max whiskers, ∞ above an overflowed bar,
  // the band ⅓–3× the output layer's bar shaded, the absolute band's edges as a blue and a red
  // line, the learning-speed chart (each layer's bar against the optimizer step) and the key.
  // Colours and words are Python's (views[i].panel[g].rgb / .says): drawn as given.

  function el(name, attrs, parent, text) {
    var e = document.createElementNS(SVG, name);
    for (var a in attrs) if (attrs[a] !== undefined) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function fmtNorm(lg) {
    if (!isFinite(lg)) return lg === -Infinity ? "0" : "—";
    return Math.pow(10, lg).toExponential(1).replace("e+", "e");
  }

  function preparePanel(v) {
    if (!v.panel) return null;
    var host = document.getElementById(v.id + "-panel");
    return { host: host, selected: 0, L: v.panel[0].layers.length,
             groups: v.panel.map(function (p) {
               return { p: p, mean: decode(p.mean, Float32Array), lo: decode(p.lo, Float32Array),
                        hi: decode(p.hi, Float32Array), over: decode(p.over, Uint8Array),
                        rgb: decode(p.rgb, Uint8Array), says: decode(p.says, Uint8Array) };
             }) };
  }

  function drawPanel(P, B, k) {
    var G = P.groups[P.selected], p = G.p, L = P.L, th = data.theme;
    var j = B.map[Math.min(k, B.map.length - 1)];
    var W = Math.max(240, P.host.clientWidth), H = Math.max(200, P.host.clientHeight);
    var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H,
                          "font-family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" });
    var x0 = 48, mr = 12;
    el("text", { x: 10, y: 17, "font-size": 13, "font-weight": 600, fill: th.text }, svg, p.title);
    // a tall panel stacks the bars over the learning-speed chart (as the video); a low one puts
    // the chart beside the bars. Rows: title, ∞ marks, bars, layer names, key.
    var keyY = H - 8, ay1 = 42, x1, sx0, sx1, sy0, sy1, ay0, capY;
    var stacked = H >= 280;
    if (stacked) {
      x1 = W - mr; sx0 = x0; sx1 = x1;
      capY = keyY - 18; sy1 = capY - 14; sy0 = sy1 - Math.max(40, 0.2 * H);
    } else {
      x1 = x0 + 0.56 * (W - x0 - mr); sx0 = x1 + 50; sx1 = W - mr;
    }
    var short = L > 6 || p.layers.some(function (n) { return 6.4 * n.length > 0.95 * (x1 - x0) / L; });
    if (stacked) ay0 = sy0 - (short ? 36 : 22);
    else { ay0 = keyY - 48; sy0 = ay1; sy1 = ay0; capY = ay0 + 28; }
    var yLo = p.yLo[j], yHi = p.yHi[j];
    function yOf(lg) {
      var t = (lg - yLo) / Math.max(yHi - yLo, 1e-9);
      return ay0 - Math.min(Math.max(t, 0), 1) * (ay0 - ay1);
    }
    var o = j * L, ref = G.mean[o + L - 1];
    // the balanced band around the output layer's bar
    if (isFinite(ref)) {
      var bt = yOf(ref + p.band[1]), bb = yOf(ref + p.band[0]);
      el("rect", { x: x0, y: bt, width: x1 - x0, height: Math.max(bb - bt, 0), fill: p.band_rgba[0],
                   "fill-opacity": p.band_rgba[1], class: "band" }, svg);
    }
    // decades: at most 7 labelled grid lines
    var n = yHi - yLo + 1, stepD = Math.max(1, Math.ceil(n / 6));
    for (var d = yLo; d <= yHi; d += stepD) {
      var yd = yOf(d);
      el("line", { x1: x0, x2: x1, y1: yd, y2: yd, stroke: th.dim, "stroke-opacity": 0.3 }, svg);
      el("text", { x: x0 - 5, y: yd + 4, "font-size": 11, fill: th.dim, "text-anchor": "end" }, svg,
         "1e" + d);
    }
    // the absolute band's edges: blue at lo, red at hi, where they fall on the axis
    [[p.limits[0], p.keyColors[0], "limit-lo"], [p.limits[1], p.keyColors[2], "limit-hi"]].forEach(function (e) {
      if (e[0] === null || e[0] < yLo || e[0] > yHi) return;
      var yl = yOf(e[0]);
      el("line", { x1: x0, x2: x1, y1: yl, y2: yl, stroke: e[1], "stroke-width": 1.5,
                   "stroke-opacity": 0.85, "stroke-dasharray": "5 3", class: e[2] }, svg);
    });
    var w = (x1 - x0) / L;
    for (var i = 0; i < L; i++) {
      var m = G.mean[o + i], lo = G.lo[o + i], hi = G.hi[o + i], over = G.over[o + i] === 1;
      var bx0 = x0 + (i + 0.2) * w, bx1 = x0 + (i + 0.8) * w, xc = 0.5 * (bx0 + bx1);
      var top = over ? ay1 : (isFinite(m) ? yOf(m) : ay0);
      var rgb = "rgb(" + G.rgb[3 * (o + i)] + "," + G.rgb[3 * (o + i) + 1] + "," + G.rgb[3 * (o + i) + 2] + ")";
      var says = p.sayWords[G.says[o + i]];
      var bar = el("rect", { x: bx0, y: top, width: bx1 - bx0, height: Math.max(ay0 - top, 0),
                             fill: rgb, "fill-opacity": 0.95, class: "bar", "data-layer": p.layers[i],
                             "data-log10": isFinite(m) ? m.toFixed(4) : String(m),
                             "data-says": says, "data-overflow": over ? "1" : "0" }, svg);
      el("title", {}, bar, p.layers[i] + ": ‖∇W‖ " + (over ? "overflowed (∞)" : fmtNorm(m)) +
         (isFinite(lo) ? " (balls " + fmtNorm(lo) + " to " + fmtNorm(hi) + ")" : "") +
         (says ? " · " + says : ""));
      var ylo = isFinite(lo) ? yOf(lo) : ay0, yhi = isFinite(hi) ? yOf(hi) : ay0;
      if (over) { ylo = isFinite(lo) ? ylo : ay1; yhi = ay1; }
      var xw = 0.22 * (bx1 - bx0);
      var wk = { stroke: th.text, "stroke-opacity": 0.9, "stroke-width": 1.5, class: "whisker" };
      el("line", Object.assign({ x1: xc, x2: xc, y1: ylo, y2: yhi }, wk), svg);
      el("line", Object.assign({ x1: xc - xw, x2: xc + xw, y1: ylo, y2: ylo }, wk), svg);
      el("line", Object.assign({ x1: xc - xw, x2: xc + xw, y1: yhi, y2: yhi }, wk), svg);
      if (over) el("text", { x: xc, y: ay1 - 3, "font-size": 16, "font-weight": 700,
                             fill: p.keyColors[2], "text-anchor": "middle", class: "inf" }, svg, "∞");
      var name = p.layers[i], lab = short ? name.split("_").pop() : name;
      el("text", { x: xc, y: ay0 + 14, "font-size": 11, fill: th.dim, "text-anchor": "middle" }, svg,
         lab.length <= 8 ? lab : lab.slice(0, 7) + "…");
    }
    el("line", { x1: x0, x2: x1, y1: ay0, y2: ay0, stroke: th.dim, "stroke-opacity": 0.6 }, svg);
    if (short) el("text", { x: 0.5 * (x0 + x1), y: ay0 + 28, "font-size": 11, fill: th.dim,
                            "text-anchor": "middle" }, svg, "layer, input → output");
    drawSpeed(svg, G, p, B, j, L, sx0, sx1, sy0, sy1);
    el("text", { x: sx1, y: capY, "font-size": 11, fill: th.dim, "text-anchor": "end" }, svg,
       "each layer over the steps →");
    // the key: what a colour says (the ratio to the output layer's bar, inside the absolute band)
    var key = el("text", { x: 10, y: keyY, "font-size": 11, fill: th.dim, class: "key" }, svg);
    el("tspan", {}, key, "÷ output: ");
    [["<⅒", 0], [" ⅓–3", 1], [" >10", 2]].forEach(function (kw) {
      el("tspan", { fill: p.keyColors[kw[1]], "font-weight": 700 }, key, kw[0]);
    });
    el("tspan", {}, key, "   " + p.key);
    el("title", {}, key, "A bar's colour is its ratio to the output layer's bar while " +
       p.describe + "; outside that band it is red (exploding) or blue (vanishing) whatever the ratio.");
    if (P.svg) P.host.replaceChild(svg, P.svg); else P.host.appendChild(svg);
    P.svg = svg;
    P.host.setAttribute("data-frame", String(j));
  }

  function drawSpeed(svg, G, p, B, j, L, x0, x1, sy0, sy1) {
    var th = data.theme;
    el("rect", { x: x0, y: sy0, width: x1 - x0, height: sy1 - sy0, fill: "none", stroke: th.dim,
                 "stroke-opacity": 0.35 }, svg);
    var lo = p.sLo[j], hi = p.sHi[j];
    if (lo === null || hi === null) return;
    el("text", { x: x1 - 3, y: sy0 + 11, "font-size": 11, fill: th.dim, "text-anchor": "end" }, svg, "1e" + hi);
    el("text", { x: x1 - 3, y: sy1 - 3, "font-size": 11, fill: th.dim, "text-anchor": "end" }, svg, "1e" + lo);
    var last = Math.max(1, B.steps[B.F - 1] - B.steps[0]);
    function yS(v, f) {
      var val = G.over[f * L + v] === 1 ? hi : G.mean[f * L + v];
      var t = (val - lo) / Math.max(hi - lo, 1e-9);
      return sy1 - Math.min(Math.max(t, 0), 1) * (sy1 - sy0);
    }
    var ends = [];
    for (var l = 0; l < L; l++) {
      var pts = [];
      for (var f = 0; f <= j; f++) {
        var val = G.mean[f * L + l];
        if (!(isFinite(val) || G.over[f * L + l] === 1)) continue;
        pts.push((x0 + (x1 - x0) * (B.steps[f] - B.steps[0]) / last).toFixed(1) + "," + yS(l, f).toFixed(1));
      }
      if (pts.length) ends.push(pts[pts.length - 1].split(",").map(Number));
      else ends.push(null);
      if (pts.length >= 2) el("polyline", { points: pts.join(" "), fill: "none", stroke: p.depth[l],
                                            "stroke-width": 1.6, class: "speed" }, svg);
    }
    // "input" and "output" at the newest values of the first and last layers' lines, kept apart
    var yi = ends[0] ? ends[0][1] : sy1, yo = ends[L - 1] ? ends[L - 1][1] : sy0;
    if (Math.abs(yi - yo) < 12) {
      var mid = 0.5 * (yi + yo);
      if (yi >= yo) { yi = mid + 6; yo = mid - 6; } else { yi = mid - 6; yo = mid + 6; }
    }
    el("text", { x: x0 - 4, y: yi + 4, "font-size": 11, "font-weight": 700, fill: p.depthText[0],
                 "text-anchor": "end" }, svg, "input");
    el("text", { x: x0 - 4, y: yo + 4, "font-size": 11, "font-weight": 700, fill: p.depthText[1],
                 "text-anchor": "end" }, svg, "output");
  }

  function prepareHud(v, B) {
    if (!v.legend) return null;
    var host = document.getElementById(v.id + "-hud");
    var step = document.createElement("div");
    step.className = "step";
    host.appendChild(step);
    var lines = v.legend.lines[0].map(function (_, g) {
      var d = document.createElement("div");
      d.className = "group";
      d.style.color = B ? B.colors[g] : "";
      host.appendChild(d);
      return d;
    });
    var more = document.createElement("div");
    more.className = "more";
    host.appendChild(more);
    return { host: host, step: step, lines: lines, more: more, legend: v.legend, cen: v.census };
  }

  function drawHud(Hd, P, B, k) {
    var j = B.map[Math.min(k, B.map.length - 1)];
    Hd.step.textContent = Hd.legend.step[j];
    Hd.lines.forEach(function (d, g) {
      var multi = Hd.lines.length > 1 && P;
      d.textContent = Hd.legend.lines[j][g] + (multi && P.selected === g ? "  ◂ panel" : "");
    });
    var set = Hd.cen ? Hd.cen.map[j] : -1;
    Hd.more.textContent = set >= 0 ? Hd.cen.sets[set].more : "";
  }

  var plots = [], balls = [], panels = [], huds = [];
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
      var B = balls[i];
      if (!B) return Promise.resolve();
      if (panels[i]) drawPanel(panels[i], B, state.k);
      if (huds[i]) drawHud(huds[i], panels[i], B, state.k);
      return drawBalls(gd, B, state.k);
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

  function wirePanels() {
    // a legend line picks the group the panel shows (the video's selected group); the panel
    // is laid out in pixels, so a new size draws it again
    huds.forEach(function (Hd, i) {
      var P = panels[i];
      if (!Hd || !P || P.groups.length < 2) return;
      Hd.lines.forEach(function (d, g) {
        d.classList.add("pick");
        d.title = "show this group's gradients in the panel";
        d.addEventListener("click", function () { P.selected = g; show(state.k); });
      });
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = setTimeout(function () {
        pending = null;
        panels.forEach(function (P, i) { if (P && balls[i]) drawPanel(P, balls[i], state.k); });
      }, 100);
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
    var B = prepare(v);
    balls.push(B);
    panels.push(B ? preparePanel(v) : null);
    huds.push(B ? prepareHud(v, B) : null);
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
    wirePanels();
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
