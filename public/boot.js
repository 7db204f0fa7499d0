// Starts the client. A file rather than an inline script, so the Content-Security-Policy needs no
// 'unsafe-inline' for scripts.
import init from '/pkg/crm-app.js';
init('/pkg/crm-app_bg.wasm');
