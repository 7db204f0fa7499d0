//! Frame decoding never panics: a frame is decoded as the relay does (protocol message, then the Automerge
//! sync message inside `request`/`sync`), and whatever decodes must encode again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = app::protocol::decode(data) {
        let again = app::protocol::encode(&msg).expect("a decoded message encodes");
        assert_eq!(app::protocol::decode(&again).expect("re-decodes"), msg);
        if let app::protocol::Message::Request(s) | app::protocol::Message::Sync(s) = &msg {
            let _ = automerge::sync::Message::decode(&s.data);
        }
    }
    let _ = automerge::sync::Message::decode(data);
});
