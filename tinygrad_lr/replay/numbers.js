/* The replay's per-update numbers, unpacked. The page holds them compactly, for the updates it
   keeps (tinygrad_lr/replay/budget.py): base64 of little-endian float64 (the exact doubles) and
   int32. unpackReplay(R) sets, for every kept update u, R.before[u], R.after[u], R.grads[u]
   (arrays of P numbers), R.losses[u], R.epoch[u], R.batches[u] (null: all samples, in order) and
   R.notes[name][u]; null for an update the page does not keep. R.kept lists the kept updates in
   order, R.epochEnds the kept updates that end an epoch with that epoch's loss over all samples. */
function unpackReplay(R) {
  "use strict";
  var C = R.numbers, U = R.updates, P = C.P;
  function bytes(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function f64(s) { return new Float64Array(bytes(s)); }
  function i32(s) { return new Int32Array(bytes(s)); }
  function row(flat, i, width) { return Array.prototype.slice.call(flat.subarray(i * width, (i + 1) * width)); }
  function empty() { var a = new Array(U); for (var i = 0; i < U; i++) a[i] = null; return a; }
  var before = f64(C.before), grads = f64(C.grads), losses = f64(C.losses), epoch = i32(C.epoch);
  var after = C.after === null ? null : f64(C.after), afterLast = C.after_last === null ? null : f64(C.after_last);
  var sizes = typeof C.batch_size === "number" ? null : i32(C.batch_size);
  var buf = bytes(C.batch_rows), rows = C.row_bytes === 2 ? new Uint16Array(buf) : new Uint32Array(buf);
  var notes = {};
  R.notes = {};
  Object.keys(C.notes).forEach(function (name) {
    notes[name] = { width: C.notes[name][0], values: f64(C.notes[name][1]) };
    R.notes[name] = empty();
  });
  R.before = empty(); R.after = empty(); R.grads = empty(); R.losses = empty(); R.epoch = empty();
  R.batches = empty(); R.kept = [];
  var i = 0, at = 0;
  C.spans.forEach(function (span, s) {
    for (var u = span[0]; u < span[1]; u++, i++) {
      R.kept.push(u);
      R.before[u] = row(before, i, P);
      if (after !== null) R.after[u] = row(after, i, P);
      R.grads[u] = row(grads, i, P);
      R.losses[u] = losses[i];
      R.epoch[u] = epoch[i];
      var size = sizes === null ? C.batch_size : sizes[i];
      R.batches[u] = size < 0 ? null : Array.prototype.slice.call(rows.subarray(at, at + size));
      if (size > 0) at += size;
      for (var name in notes) R.notes[name][u] = row(notes[name].values, i, notes[name].width);
    }
    if (after === null) {  /* after an update is before the next, to the bit; the span's last is kept */
      for (u = span[0]; u < span[1] - 1; u++) R.after[u] = R.before[u + 1].slice();
      R.after[span[1] - 1] = row(afterLast, s, P);
    }
  });
  var ends = i32(C.epoch_ends), endLosses = f64(C.epoch_losses);
  R.epochEnds = [];
  for (i = 0; i < ends.length; i++) R.epochEnds.push([ends[i], endLosses[i]]);
}
