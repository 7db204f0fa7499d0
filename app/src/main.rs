//! Browser entry point: mounts the Leptos app (built for wasm32 with feature `ui`).
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::ui::App);
}
