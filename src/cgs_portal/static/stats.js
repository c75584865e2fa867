/* 統計查詢: 下載 is for the result on screen only. Changing any choice of steps 1–3 disables
   the download link until 查詢 is pressed again (without JavaScript the link only ever
   carries the query of the result shown). Also: show only the filters the chosen table
   uses, and a 全選 button for the grades. */
(function () {
  "use strict";
  var form = document.getElementById("stats-form");
  if (!form) { return; }
  var download = document.getElementById("download");
  var hint = document.getElementById("download-hint");

  function disableDownload() {
    if (!download || download.getAttribute("aria-disabled") === "true") { return; }
    download.setAttribute("aria-disabled", "true");
    download.classList.add("disabled");
    download.setAttribute("tabindex", "-1");
    download.removeAttribute("href");
    if (hint) {
      hint.textContent = "查詢條件已變更：請按「步驟 4 查詢」後再下載。" +
        (document.getElementById("pager-top") ? "換頁仍是原查詢的結果。" : "");
    }
  }

  function showFilters() {
    var select = document.getElementById("table");
    if (!select) { return; }
    var option = select.options[select.selectedIndex];
    var used = (option && option.getAttribute("data-filters") || "").split(" ");
    var boxes = form.querySelectorAll("[data-filter]");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].hidden = used.indexOf(boxes[i].getAttribute("data-filter")) < 0;
    }
  }

  form.addEventListener("change", function (event) {
    disableDownload();
    if (event.target && event.target.id === "table") { showFilters(); }
  });
  form.addEventListener("input", disableDownload);
  if (download) {
    download.addEventListener("click", function (event) {
      if (download.getAttribute("aria-disabled") === "true") { event.preventDefault(); }
    });
  }
  var all = document.getElementById("grades-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("click", function () {
      var boxes = form.querySelectorAll("input[name=grades]");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = true; }
      disableDownload();
    });
  }
  showFilters();
}());
