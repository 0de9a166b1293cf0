// The upload form: drop files, folders or zips on the drop zone (they join the file input through a
// DataTransfer, so the plain form still does the upload), and show the upload's own progress.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var input = document.getElementById("files");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("chosen");
  var clear = document.getElementById("clear-files");
  var error = document.getElementById("upload-error");
  var bar = document.getElementById("upload-progress");
  if (!form || !input || !zone || !list || typeof DataTransfer === "undefined") {
    return; // the plain file input still works
  }
  var maxFiles = parseInt(input.getAttribute("data-max-files") || "0", 10);
  zone.hidden = false;

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function show() {
    list.textContent = "";
    var files = Array.prototype.slice.call(input.files);
    files.forEach(function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + "（" + size(file.size) + "）";
      list.appendChild(item);
    });
    if (maxFiles && files.length > maxFiles) {
      var warn = document.createElement("li");
      warn.className = "warn";
      warn.textContent = "共 " + files.length + " 个文件，超过一次上传的上限 " + maxFiles +
        " 个：请把文件夹压缩为 zip 后上传";
      list.appendChild(warn);
    }
    if (clear) { clear.hidden = files.length === 0; }
  }

  function add(files) {
    var merged = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { merged.items.add(f); });
    files.forEach(function (f) { merged.items.add(f); });
    input.files = merged.files;
    show();
  }

  // A dropped folder: walk it (webkitGetAsEntry) and take its files; readEntries answers in batches.
  function walk(entry, out) {
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (f) { out.push(f); resolve(); }, function () { resolve(); });
      });
    }
    if (!entry.isDirectory) { return Promise.resolve(); }
    var reader = entry.createReader();
    return new Promise(function (resolve) {
      var all = [];
      (function next() {
        reader.readEntries(function (batch) {
          if (!batch.length) {
            Promise.all(all.map(function (e) { return walk(e, out); })).then(resolve);
            return;
          }
          all = all.concat(Array.prototype.slice.call(batch));
          next();
        }, function () { resolve(); });
      })();
    });
  }

  function dropped(transfer) {
    var items = transfer.items ? Array.prototype.slice.call(transfer.items) : [];
    var entries = items.map(function (i) { return i.webkitGetAsEntry ? i.webkitGetAsEntry() : null; });
    if (!entries.length || entries.some(function (e) { return !e; })) {
      add(Array.prototype.slice.call(transfer.files));
      return;
    }
    var out = [];
    Promise.all(entries.map(function (e) { return walk(e, out); })).then(function () { add(out); });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "dragend"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer) { dropped(event.dataTransfer); }
  });
  // A file dropped beside the zone must not make the browser leave the page to open it.
  ["dragover", "drop"].forEach(function (name) {
    window.addEventListener(name, function (event) { event.preventDefault(); });
  });
  zone.addEventListener("click", function () { input.click(); });
  zone.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
  });
  input.addEventListener("change", show);
  if (clear) {
    clear.addEventListener("click", function () { input.value = ""; show(); });
  }

  // Send through the JSON API to show the bytes going up; then open the job's page.
  form.addEventListener("submit", function (event) {
    if (!input.files.length || typeof XMLHttpRequest === "undefined") { return; }
    event.preventDefault();
    var token = form.querySelector("input[name=csrf_token]");
    var request = new XMLHttpRequest();
    request.open("POST", "/api/upload");
    request.setRequestHeader("X-CSRF-Token", token ? token.value : "");
    request.setRequestHeader("Accept", "application/json");
    if (error) { error.hidden = true; }
    if (bar) {
      bar.hidden = false;
      bar.value = 0;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      });
    }
    request.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
      if (request.status === 202 && body && body.page) {
        window.location.assign(body.page);
        return;
      }
      if (request.status === 401) {
        window.location.assign("/login");
        return;
      }
      fail(body && body.error ? body.error.message : "上传失败（HTTP " + request.status + "）");
    });
    request.addEventListener("error", function () { fail("上传失败：无法连接服务器"); });
    request.send(new FormData(form));
  });

  function fail(message) {
    if (bar) { bar.hidden = true; }
    if (error) {
      error.textContent = message;
      error.hidden = false;
    }
  }
})();
