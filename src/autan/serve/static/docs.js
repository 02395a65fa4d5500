// The API's interactive docs: Swagger UI on the server's own OpenAPI document ("Authorize"
// takes the bearer token that autan serve printed).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});
