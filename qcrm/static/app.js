// Small progressive enhancements; the pages work without them.
document.querySelectorAll("form.js-autosubmit select").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});
document.querySelectorAll(".js-hide").forEach((element) => {
  element.classList.add("d-none");
});
