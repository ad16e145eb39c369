// Starts Swagger UI on /docs over /openapi.json. A file of our own rather than an inline script, so
// the page's Content-Security-Policy can allow scripts from our origin only.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
  validatorUrl: null,
});
