// Starts Swagger UI on /docs (kept out of the page: the CSP allows no inline script).
(() => {
  "use strict";
  window.addEventListener("DOMContentLoaded", () => {
    window.ui = window.SwaggerUIBundle({
      url: document.body.dataset.openapiUrl || "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: false,
    });
  });
})();
