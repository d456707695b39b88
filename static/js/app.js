// htmx requests carry the CSRF token from the page's meta tag.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// Confirmations and print buttons are declared in the markup (data-confirm, data-print): the
// Content-Security-Policy allows no inline event handlers (docs/security.md).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
}, true);
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
