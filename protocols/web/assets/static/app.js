// Strongroom portal: uploads with progress, and confirmation of deletes.
// Served from this origin only; the Content-Security-Policy forbids inline
// script, so every behaviour is attached here.
"use strict";

(function () {
  var token = document.querySelector('meta[name="csrf-token"]');
  var csrf = token ? token.content : "";

  // The number of upload batches finished in this tab, shown on the page
  // that the last batch reloaded, so that the end of an upload is visible.
  document.body.dataset.uploadCount = window.sessionStorage.getItem("uploads") || "0";

  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.dataset.confirm)) { ev.preventDefault(); }
    });
  });

  var drop = document.getElementById("drop");
  var picker = document.getElementById("picker");
  var list = document.getElementById("uploads");
  if (!drop || !list) { return; }
  var dir = drop.dataset.dir;

  // apiPath turns a folder and a name into the API's URL of the file,
  // escaping each segment so that "#", "?" and "%" in names survive.
  function apiPath(name) {
    var segs = dir.split("/").filter(function (s) { return s !== ""; });
    segs.push(name);
    return "/api/v1/files/" + segs.map(encodeURIComponent).join("/");
  }

  // upload streams one file to the API and reports progress in its row.
  function upload(file) {
    return new Promise(function (resolve) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.className = "n";
      label.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = file.size || 1;
      bar.value = 0;
      var state = document.createElement("span");
      li.append(label, bar, state);
      list.append(li);

      var xhr = new XMLHttpRequest();
      xhr.open("PUT", apiPath(file.name));
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 201) {
          bar.value = bar.max;
          state.textContent = "done";
          resolve(true);
          return;
        }
        var msg = "upload failed";
        try { msg = JSON.parse(xhr.responseText).error.message; } catch (e) { /* keep the generic text */ }
        state.textContent = msg;
        state.className = "failed";
        resolve(false);
      });
      xhr.addEventListener("error", function () {
        state.textContent = "connection lost";
        state.className = "failed";
        resolve(false);
      });
      xhr.send(file);
    });
  }

  // uploadAll sends files one after another, then shows the folder anew
  // if every one arrived.
  function uploadAll(files) {
    var chain = Promise.resolve(true);
    var ok = true;
    Array.prototype.forEach.call(files, function (f) {
      chain = chain.then(function () { return upload(f); }).then(function (r) { ok = ok && r; });
    });
    chain.then(function () {
      if (!ok) {
        document.body.dataset.uploads = "failed";
        return;
      }
      var n = Number(window.sessionStorage.getItem("uploads") || "0") + 1;
      window.sessionStorage.setItem("uploads", String(n));
      window.location.reload();
    });
  }

  if (picker) {
    picker.addEventListener("change", function () {
      if (picker.files.length) { uploadAll(picker.files); }
    });
  }
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { uploadAll(e.dataTransfer.files); }
  });
})();
