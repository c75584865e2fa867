/* Account pages: live login-id preview and in-place unit search (the pages work without it). */
(function () {
  "use strict";
  var form = document.getElementById("register-form") || document.getElementById("lookup-form");
  var search = document.getElementById("unit-search");
  if (!form || !search) { return; }
  var preview = document.getElementById("login-preview");
  var unitField = form.querySelector("[name=unit_code]");
  var personal = form.querySelector("[name=personal_id]");
  var formCategory = form.querySelector("[name=category]");
  var searchCategory = document.getElementById("search-category");
  var keyword = document.getElementById("search-keyword");
  var results = document.getElementById("search-results");

  function updatePreview() {
    if (!preview || !unitField) { return; }
    var code = (unitField.value || "").trim().toUpperCase();
    var pid = personal ? (personal.value || "").trim() : "";
    preview.textContent = code && pid ? code + "_" + pid : (code ? code + "_" : "");
    var display = document.getElementById("unit-code-display");
    if (display) { display.textContent = code; }
  }

  function showUnits(units, more) {
    results.textContent = "";
    var note = document.createElement("p");
    note.className = "small mb-0";
    note.textContent = units.length ? "找到 " + units.length + " 個單位，請在下方「單位名稱」選擇。"
                                    : "找不到符合的單位，請換個關鍵字。";
    results.appendChild(note);
    if (more) {
      var rest = document.createElement("p");
      rest.className = "small text-danger mb-0";
      rest.id = "search-more";
      rest.textContent = "另有 " + more + " 筆，請輸入更完整的名稱。";
      results.appendChild(rest);
    }
    if (!unitField) { return; }
    var select = unitField;
    if (select.tagName !== "SELECT") {
      select = document.createElement("select");
      select.name = "unit_code";
      select.id = unitField.id;
      select.className = "form-select unit-code";
      unitField.parentNode.replaceChild(select, unitField);
      unitField = select;
      select.addEventListener("change", updatePreview);
    }
    select.textContent = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = "請選擇單位";
    select.appendChild(first);
    units.forEach(function (u) {
      var option = document.createElement("option");
      option.value = u.code;
      option.textContent = u.code + " " + u.name + (u.county ? "（" + u.county + "）" : "");
      select.appendChild(option);
    });
    if (units.length === 1) { select.value = units[0].code; }
    updatePreview();
  }

  search.addEventListener("submit", function (event) {
    if (!window.fetch) { return; }
    event.preventDefault();
    var category = searchCategory.value;
    if (formCategory) { formCategory.value = category; }
    var url = search.getAttribute("action").replace(/\/[^/]*$/, "/unit-search") +
      "?detail=1&category=" + encodeURIComponent(category) + "&q=" + encodeURIComponent(keyword.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { showUnits(data.units || [], data.more || 0); })
      .catch(function () { search.submit(); });
    // Keep the form's action in step, so a failed POST re-renders the same matches.
    form.setAttribute("action", form.getAttribute("action").split("?")[0] +
      "?category=" + encodeURIComponent(category) + "&q=" + encodeURIComponent(keyword.value));
  });
  if (searchCategory && formCategory) {
    formCategory.addEventListener("change", function () { searchCategory.value = formCategory.value; });
  }
  if (unitField) { unitField.addEventListener("change", updatePreview); unitField.addEventListener("input", updatePreview); }
  if (personal) { personal.addEventListener("input", updatePreview); }
  updatePreview();
})();
