// The pay page (docs/payments.md): Stripe Elements takes the card, Stripe.js turns it into a token in the browser,
// and the server confirms the PaymentIntent with it; the booking follows from Stripe's webhook, so the page asks
// the server until the payment is in. No inline script: the page's policy allows only this file and Stripe.js.
(() => {
  const form = document.getElementById("pay-form");
  if (!form || typeof Stripe === "undefined") return;
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const error = document.getElementById("pay-error");
  const waiting = document.getElementById("pay-waiting");
  const button = document.getElementById("pay-submit");
  const stripe = Stripe(form.dataset.key);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  // localstripe's stand-in for Elements draws bare inputs: give each a label (Stripe's own card frame has them)
  const labels = {number: form.dataset.numberLabel, exp_month: form.dataset.monthLabel,
                  exp_year: form.dataset.yearLabel, cvc: form.dataset.cvcLabel, postal_code: form.dataset.postalLabel};
  document.querySelectorAll("#card-element input[placeholder]").forEach((input) => {
    const name = input.getAttribute("placeholder");
    if (labels[name] && !input.hasAttribute("aria-label")) input.setAttribute("aria-label", labels[name]);
    input.setAttribute("name", `card-${name}`);
  });

  const show = (box, text) => { box.textContent = text; box.classList.remove("d-none"); };
  const hide = (box) => box.classList.add("d-none");

  async function poll() {
    const response = await fetch(form.dataset.statusUrl, {headers: {Accept: "application/json"}});
    const body = await response.json();
    if (body.next) { window.location.assign(body.next); return; }
    if (body.status !== "pending") { window.location.reload(); return; }
    window.setTimeout(poll, 1000);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hide(error);
    button.disabled = true;
    const result = await stripe.createToken(card);
    if (result.error || !result.token) {
      show(error, (result.error && result.error.message) || form.dataset.failed);
      button.disabled = false;
      return;
    }
    const response = await fetch(form.dataset.cardUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.content : ""},
      body: JSON.stringify({card: result.token.card.id}),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      show(error, body.message || form.dataset.failed);
      button.disabled = false;
      return;
    }
    show(waiting, form.dataset.waiting);
    poll();
  });
})();
