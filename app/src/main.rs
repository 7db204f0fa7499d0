//! Browser entry point: mounts the Leptos app (built for wasm32 with feature `ui`).
fn main() {}
