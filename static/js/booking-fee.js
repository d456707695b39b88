// The booking form: the fee beside the form follows the chosen appointment type, so the patient sees what the
// booking will charge before confirming. The server writes each type's fee, formatted for the page's language, into
// the select's data-fees; nothing is computed here.
(function () {
  "use strict";
  document.querySelectorAll("select[data-fees]").forEach((select) => {
    const target = document.getElementById(select.dataset.feeTarget);
    if (!target) return;
    const fees = JSON.parse(select.dataset.fees);
    const show = () => {
      if (Object.prototype.hasOwnProperty.call(fees, select.value)) target.textContent = fees[select.value];
    };
    select.addEventListener("change", show);
    show();
  });
})();
