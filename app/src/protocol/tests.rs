//! Protocol frames: round trips, the automerge-repo wire shapes, and refusal of malformed input.
use super::*;
use ciborium::Value;

fn doc() -> DocId {
    DocId::from_bytes([3; 16])
}

fn map(entries: Vec<(&str, Value)>) -> Vec<u8> {
    let v = Value::Map(entries.into_iter().map(|(k, v)| (Value::Text(k.into()), v)).collect());
    let mut out = Vec::new();
    ciborium::into_writer(&v, &mut out).unwrap();
    out
}

fn all_messages() -> Vec<Message> {
    let p = |s: &str| PeerId::new(s);
    vec![
        Message::Join(Join {
            sender_id: p("c"),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: PeerMetadata { storage_id: None, is_ephemeral: Some(true) },
        }),
        Message::Peer(Peer {
            sender_id: p("s"),
            target_id: p("c"),
            selected_protocol_version: "1".into(),
            peer_metadata: PeerMetadata::default(),
        }),
        Message::Request(SyncData {
            document_id: doc(),
            sender_id: p("c"),
            target_id: p("s"),
            data: vec![0x42, 0, 1],
            doc_type: None,
        }),
        Message::Sync(SyncData {
            document_id: doc(),
            sender_id: p("c"),
            target_id: p("s"),
            data: vec![9; 40],
            doc_type: Some("x".into()),
        }),
        Message::DocUnavailable(DocUnavailable { document_id: doc(), sender_id: p("s"), target_id: p("c") }),
        Message::Ephemeral(Ephemeral {
            sender_id: p("c"),
            target_id: p("s"),
            document_id: doc(),
            session_id: "sess".into(),
            count: 7,
            data: vec![1, 2, 3],
        }),
        Message::Error(ErrorMessage {
            message: "refused".into(),
            sender_id: Some(p("s")),
            target_id: Some(p("c")),
            document_id: Some(doc()),
            refused: Some(Refused { reason: "may not change the owner".into(), path: "owner".into() }),
        }),
    ]
}

#[test]
fn every_message_round_trips() {
    for m in all_messages() {
        let bytes = encode(&m).unwrap();
        assert_eq!(decode(&bytes).unwrap(), m, "{}", m.type_name());
    }
}

#[test]
fn wire_shape_matches_automerge_repo() {
    let m = &all_messages()[3];
    let v: Value = ciborium::from_reader(&encode(m).unwrap()[..]).unwrap();
    let Value::Map(entries) = v else { panic!("not a map") };
    let get = |k: &str| entries.iter().find(|(key, _)| key == &Value::Text(k.into())).map(|(_, v)| v.clone());
    assert_eq!(get("type"), Some(Value::Text("sync".into())));
    assert_eq!(get("documentId"), Some(Value::Text(doc().to_string())));
    assert_eq!(get("senderId"), Some(Value::Text("c".into())));
    assert_eq!(get("targetId"), Some(Value::Text("s".into())));
    // Byte string, not an array of integers: cbor-x decodes it to a Uint8Array.
    assert_eq!(get("data"), Some(Value::Bytes(vec![9; 40])));
    let peer = &all_messages()[1];
    let v: Value = ciborium::from_reader(&encode(peer).unwrap()[..]).unwrap();
    let Value::Map(entries) = v else { panic!("not a map") };
    assert!(entries
        .iter()
        .any(|(k, v)| k == &Value::Text("selectedProtocolVersion".into()) && v == &Value::Text("1".into())));
}

#[test]
fn decodes_a_frame_as_cbor_x_writes_it() {
    // What the JS websocket adapter sends on open (extra unknown fields are tolerated).
    let frame = map(vec![
        ("type", Value::Text("join".into())),
        ("senderId", Value::Text("peer-abc".into())),
        ("peerMetadata", Value::Map(vec![(Value::Text("isEphemeral".into()), Value::Bool(false))])),
        ("supportedProtocolVersions", Value::Array(vec![Value::Text("1".into())])),
        ("extra", Value::Integer(5.into())),
    ]);
    let Message::Join(j) = decode(&frame).unwrap() else { panic!("not join") };
    assert_eq!(j.sender_id.as_str(), "peer-abc");
    assert_eq!(j.supported_protocol_versions, vec!["1".to_string()]);
    assert_eq!(j.peer_metadata.is_ephemeral, Some(false));
}

#[test]
fn bad_frames_are_errors() {
    assert!(matches!(decode(&[]), Err(DecodeError::Cbor(_))));
    assert!(matches!(decode(&[0xff, 0x00, 0x13]), Err(DecodeError::Cbor(_))));
    assert!(matches!(decode(&[0x01]), Err(DecodeError::NotAMap)));
    assert!(matches!(decode(&map(vec![("x", Value::Integer(1.into()))])), Err(DecodeError::MissingType)));
    assert!(matches!(
        decode(&map(vec![("type", Value::Text("remote-heads-changed".into()))])),
        Err(DecodeError::UnknownType(t)) if t == "remote-heads-changed"
    ));
    // Missing data.
    let f = map(vec![
        ("type", Value::Text("sync".into())),
        ("documentId", Value::Text(doc().to_string())),
        ("senderId", Value::Text("a".into())),
        ("targetId", Value::Text("b".into())),
    ]);
    assert!(matches!(decode(&f), Err(DecodeError::Invalid { .. })));
    // A document id that is not bs58check of 16 bytes.
    let f = map(vec![
        ("type", Value::Text("request".into())),
        ("documentId", Value::Text("nope".into())),
        ("senderId", Value::Text("a".into())),
        ("targetId", Value::Text("b".into())),
        ("data", Value::Bytes(vec![1])),
    ]);
    assert!(matches!(decode(&f), Err(DecodeError::Invalid { .. })));
    // Truncations of a valid frame never panic and never decode into something else.
    let good = encode(&all_messages()[6]).unwrap();
    for n in 0..good.len() {
        assert!(decode(&good[..n]).is_err());
    }
    // A byte string that claims to be huge but is not there.
    assert!(
        decode(&[0xa1, 0x64, b't', b'y', b'p', b'e', 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err()
    );
    // Deep nesting hits the recursion limit instead of the stack.
    let deep = vec![0x81u8; 100_000];
    assert!(decode(&deep).is_err());
}

#[test]
fn data_as_array_of_integers_is_accepted() {
    // Some encoders write small byte arrays as arrays; accept them so such peers still sync.
    let f = map(vec![
        ("type", Value::Text("sync".into())),
        ("documentId", Value::Text(doc().to_string())),
        ("senderId", Value::Text("a".into())),
        ("targetId", Value::Text("b".into())),
        ("data", Value::Array(vec![Value::Integer(1.into()), Value::Integer(255.into())])),
    ]);
    let Message::Sync(s) = decode(&f).unwrap() else { panic!() };
    assert_eq!(s.data, vec![1, 255]);
}

proptest::proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
    }
}
