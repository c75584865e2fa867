/* 填報紀錄: progressive enhancement only (every form works without it).
   Choosing a column in the filter form shows its values at once; changing the page size
   applies it; the column chooser gets 全選 / 全不選. */
(function () {
  "use strict";
  var filterColumn = document.getElementById("filter-column");
  if (filterColumn) {
    filterColumn.addEventListener("change", function () {
      if (filterColumn.value) { filterColumn.form.submit(); }
    });
  }
  var size = document.getElementById("page-size");
  if (size) {
    size.addEventListener("change", function () { size.form.submit(); });
    var sizeButton = document.getElementById("size-apply");
    if (sizeButton) { sizeButton.hidden = true; }
  }
  var columns = document.getElementById("columns-form");
  if (columns) {
    var bar = document.createElement("div");
    bar.className = "mb-2";
    [["全選", true], ["全不選", false]].forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary me-2";
      button.textContent = item[0];
      button.addEventListener("click", function () {
        columns.querySelectorAll("input[name=col]").forEach(function (box) { box.checked = item[1]; });
      });
      bar.appendChild(button);
    });
    columns.insertBefore(bar, columns.firstChild.nextSibling);
  }
}());
