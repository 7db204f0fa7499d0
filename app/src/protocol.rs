//! automerge-repo sync protocol v1 messages.
