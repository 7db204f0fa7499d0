//! One WebSocket connection: the `join`/`peer` handshake, frame limits, and a bounded outbox.
//!
//! The loop prefers draining the outbox over reading, so a client that reads slowly fills its outbox and
//! is disconnected (the hub never waits for a socket). Protocol violations get an `error` frame and a close;
//! a refused change gets an `error` frame and the socket stays open.

use std::collections::HashSet;
use std::future::Future;

use app::domain::{DocId, UserId};
use app::protocol::{self, DecodeError, Message, Peer, PeerMetadata, PROTOCOL_V1};
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};

use super::{Hub, Outgoing};

/// Close codes (RFC 6455).
const GOING_AWAY: u16 = 1001;
const UNSUPPORTED: u16 = 1003;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
const TRY_LATER: u16 = 1013;

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

/// Serves one authenticated socket for `user` until it closes, `ended` resolves (session over), the hub
/// shuts down, or the hub disconnects it.
pub async fn serve_socket(hub: Hub, mut socket: WebSocket, user: UserId, ended: impl Future<Output = ()> + Send) {
    let Some((conn, mut outbox, mut kill)) = hub.register(&user) else {
        let frame = protocol::encode(&Message::Error(protocol::ErrorMessage {
            message: "too many open connections for this user".into(),
            sender_id: Some(hub.peer_id().clone()),
            target_id: None,
            document_id: None,
            refused: None,
        }));
        if let Ok(f) = frame {
            let _ = socket.send(WsMessage::Binary(f.into())).await;
        }
        close(&mut socket, TRY_LATER, "too many connections").await;
        return;
    };
    let mut shutdown = hub.shutdown_signal();
    let mut open: HashSet<DocId> = HashSet::new();
    let mut joined = false;
    let max_frame = hub.config().max_frame_bytes;
    let max_docs = hub.config().max_docs_per_conn;
    tokio::pin!(ended);
    loop {
        tokio::select! {
            biased;
            out = outbox.recv() => match out {
                Some(Outgoing::Frame(f)) => {
                    if socket.send(WsMessage::Binary(f.into())).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            _ = kill.changed() => {
                let (code, reason) = kill.borrow().clone().unwrap_or((POLICY, "disconnected".into()));
                close(&mut socket, code, &reason).await;
                break;
            }
            _ = shutting_down(&mut shutdown) => {
                while let Ok(Outgoing::Frame(f)) = outbox.try_recv() {
                    if socket.send(WsMessage::Binary(f.into())).await.is_err() {
                        break;
                    }
                }
                close(&mut socket, GOING_AWAY, "relay shutting down").await;
                break;
            }
            _ = &mut ended => {
                hub.send_error(conn, "session ended".into(), None, None);
                while let Ok(Outgoing::Frame(f)) = outbox.try_recv() {
                    let _ = socket.send(WsMessage::Binary(f.into())).await;
                }
                close(&mut socket, POLICY, "session ended").await;
                break;
            }
            incoming = socket.recv() => {
                let frame = match incoming {
                    None | Some(Err(_)) => break,
                    Some(Ok(WsMessage::Binary(b))) => b,
                    Some(Ok(WsMessage::Close(_))) => break,
                    Some(Ok(WsMessage::Text(_))) => {
                        fail(&hub, conn, &mut outbox, &mut socket, UNSUPPORTED, "binary CBOR frames only").await;
                        break;
                    }
                    Some(Ok(_)) => continue,
                };
                if frame.len() > max_frame {
                    fail(&hub, conn, &mut outbox, &mut socket, TOO_BIG, "frame too large").await;
                    break;
                }
                let msg = match protocol::decode(&frame) {
                    Ok(m) => m,
                    // Well-formed messages we do not implement (remote-heads gossip): ignored, as peers do.
                    Err(DecodeError::UnknownType(_)) => continue,
                    Err(e) => {
                        fail(&hub, conn, &mut outbox, &mut socket, UNSUPPORTED, &e.to_string()).await;
                        break;
                    }
                };
                match msg {
                    Message::Join(j) => {
                        if !j.supported_protocol_versions.iter().any(|v| v == PROTOCOL_V1) {
                            fail(&hub, conn, &mut outbox, &mut socket, UNSUPPORTED, "unsupported protocol version").await;
                            break;
                        }
                        hub.set_peer(conn, j.sender_id.clone());
                        joined = true;
                        let peer = Message::Peer(Peer {
                            sender_id: hub.peer_id().clone(),
                            target_id: j.sender_id,
                            selected_protocol_version: PROTOCOL_V1.into(),
                            peer_metadata: PeerMetadata { storage_id: None, is_ephemeral: Some(false) },
                        });
                        if let Ok(f) = protocol::encode(&peer) {
                            if socket.send(WsMessage::Binary(f.into())).await.is_err() {
                                break;
                            }
                        }
                    }
                    _ if !joined => {
                        fail(&hub, conn, &mut outbox, &mut socket, POLICY, "send join first").await;
                        break;
                    }
                    Message::Request(m) | Message::Sync(m) if !open.contains(&m.document_id) && open.len() >= max_docs => {
                        hub.send_error(conn, "too many documents open on this connection".into(), Some(&m.document_id), None);
                    }
                    Message::Request(m) => {
                        let id = m.document_id.clone();
                        if hub.handle_sync(conn, &user, m, true).await { open.insert(id); } else { open.remove(&id); }
                    }
                    Message::Sync(m) => {
                        let id = m.document_id.clone();
                        if hub.handle_sync(conn, &user, m, false).await { open.insert(id); } else { open.remove(&id); }
                    }
                    Message::Ephemeral(m) => hub.handle_ephemeral(conn, &user, m).await,
                    Message::DocUnavailable(_) | Message::Error(_) => {}
                    Message::Peer(_) => {
                        fail(&hub, conn, &mut outbox, &mut socket, POLICY, "peer is sent by the relay").await;
                        break;
                    }
                }
            }
        }
    }
    hub.unregister(conn, open).await;
}

async fn shutting_down(rx: &mut tokio::sync::watch::Receiver<bool>) {
    // Resolves when the flag turns true; a dropped sender means the hub is gone: shut down too.
    let _ = rx.wait_for(|s| *s).await.map(|_| ());
}

/// Sends an error frame (after what is already queued) and closes the socket.
async fn fail(
    hub: &Hub,
    conn: super::ConnId,
    outbox: &mut tokio::sync::mpsc::Receiver<Outgoing>,
    socket: &mut WebSocket,
    code: u16,
    message: &str,
) {
    hub.send_error(conn, message.to_string(), None, None);
    while let Ok(Outgoing::Frame(f)) = outbox.try_recv() {
        let _ = socket.send(WsMessage::Binary(f.into())).await;
    }
    close(socket, code, message).await;
}
