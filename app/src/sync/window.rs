//! [`RequestWindow`]: documents waiting to be greeted, and a cap on how many greetings are unanswered.
//!
//! A first sync greets tens of thousands of documents. Greeting them all at once buries the client under
//! their answers (frames buffered without bound, documents loaded faster than they can be stored) and can
//! overflow the relay's per-connection outbox. So documents queue here and at most `limit` of them are in
//! flight (greeted, no frame back yet); each answer lets the next one go.
//!
//! What must stay true: a document is queued or in flight at most once; every queued document is either
//! greeted eventually (as answers come in) or removed ([`RequestWindow::remove`]).

use std::collections::{HashSet, VecDeque};

use automerge::ChangeHash;

use crate::domain::DocId;

/// How to greet a queued document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Greeting {
    /// Not on this device: request it (no storage lookup needed).
    Fresh,
    /// Stored, and its stored heads are the shared heads: greet without loading it.
    Unloaded(Vec<ChangeHash>),
    /// Stored with changes the relay may not have: load it and sync.
    Load,
}

/// Queued documents and the documents greeted but not yet answered.
#[derive(Debug)]
pub struct RequestWindow {
    limit: usize,
    queue: VecDeque<(DocId, Greeting)>,
    queued: HashSet<DocId>,
    in_flight: HashSet<DocId>,
}

impl RequestWindow {
    /// A window letting at most `limit` (at least 1) greetings be unanswered.
    pub fn new(limit: usize) -> Self {
        RequestWindow { limit: limit.max(1), queue: VecDeque::new(), queued: HashSet::new(), in_flight: HashSet::new() }
    }

    /// Queues `id` (after those already queued). False when it is already queued or in flight.
    pub fn push(&mut self, id: DocId, greeting: Greeting) -> bool {
        if self.in_flight.contains(&id) || !self.queued.insert(id.clone()) {
            return false;
        }
        self.queue.push_back((id, greeting));
        true
    }

    /// The next document to greet, if the window has room; it counts as in flight from here on.
    pub fn take_next(&mut self) -> Option<(DocId, Greeting)> {
        if self.in_flight.len() >= self.limit {
            return None;
        }
        let (id, greeting) = self.queue.pop_front()?;
        self.queued.remove(&id);
        self.in_flight.insert(id.clone());
        Some((id, greeting))
    }

    /// A frame about `id` arrived (sync, request, unavailable, error): its slot frees.
    pub fn answered(&mut self, id: &DocId) {
        self.in_flight.remove(id);
    }

    /// Forgets `id` wherever it is (it left the index, or is being reset).
    pub fn remove(&mut self, id: &DocId) {
        self.in_flight.remove(id);
        if self.queued.remove(id) {
            self.queue.retain(|(d, _)| d != id);
        }
    }

    pub fn is_queued(&self, id: &DocId) -> bool {
        self.queued.contains(id)
    }

    /// Documents waiting for a slot.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// Documents greeted and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u16) -> DocId {
        let mut b = [0u8; 16];
        b[..2].copy_from_slice(&n.to_be_bytes());
        DocId::from_bytes(b)
    }

    fn drain(w: &mut RequestWindow) -> Vec<DocId> {
        std::iter::from_fn(|| w.take_next().map(|(d, _)| d)).collect()
    }

    #[test]
    fn at_most_limit_greetings_are_unanswered_and_each_answer_lets_one_more_go() {
        let mut w = RequestWindow::new(3);
        for n in 0..10 {
            assert!(w.push(id(n), Greeting::Fresh));
        }
        assert_eq!(drain(&mut w), vec![id(0), id(1), id(2)], "in queue order, up to the limit");
        assert_eq!((w.in_flight(), w.waiting()), (3, 7));
        w.answered(&id(1));
        assert_eq!(drain(&mut w), vec![id(3)]);
        // An answer for a document not in flight frees nothing.
        w.answered(&id(9));
        assert!(w.take_next().is_none());
        let mut greeted = vec![id(0), id(1), id(2), id(3)];
        while w.in_flight() > 0 {
            let first = w.in_flight.iter().next().cloned().unwrap();
            w.answered(&first);
            greeted.extend(drain(&mut w));
        }
        greeted.sort();
        assert_eq!(greeted, (0..10).map(id).collect::<Vec<_>>(), "every queued document is greeted once");
    }

    #[test]
    fn a_document_is_queued_or_in_flight_only_once_and_can_be_removed() {
        let mut w = RequestWindow::new(1);
        assert!(w.push(id(1), Greeting::Load));
        assert!(!w.push(id(1), Greeting::Fresh), "already queued");
        assert_eq!(w.take_next(), Some((id(1), Greeting::Load)));
        assert!(!w.push(id(1), Greeting::Fresh), "already in flight");
        assert!(w.push(id(2), Greeting::Unloaded(Vec::new())));
        assert!(w.push(id(3), Greeting::Fresh));
        w.remove(&id(2));
        assert!(!w.is_queued(&id(2)));
        w.remove(&id(1));
        assert_eq!(drain(&mut w), vec![id(3)], "a removed document is never greeted");
        assert_eq!(w.waiting(), 0);
    }
}
