//! An in-memory [`DocStore`] for tests: the same contract, nothing survives the process.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Chunks, DocMeta, DocStore, Origin, StoreError};
use app::domain::history::Provenance;
use app::domain::ops::{IssuedBlock, NumberBlock};
use app::domain::{DocId, UserId};
use automerge::ChangeHash;

#[derive(Default)]
struct Stored {
    chunks: Vec<(u64, Vec<u8>)>,
    meta: Option<DocMeta>,
    provenance: HashMap<ChangeHash, Provenance>,
}

/// Documents in a `HashMap` behind a mutex.
#[derive(Default)]
pub struct MemoryStore {
    docs: Mutex<HashMap<DocId, Stored>>,
    next_seq: Mutex<u64>,
    numbers: Mutex<Numbers>,
}

/// The next number per (prefix, year), and every block issued.
#[derive(Default)]
struct Numbers {
    next: HashMap<(String, i32), u32>,
    issued: Vec<IssuedBlock>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn seq(&self) -> u64 {
        let mut s = self.next_seq.lock().unwrap_or_else(|e| e.into_inner());
        *s += 1;
        *s
    }
}

impl DocStore for MemoryStore {
    fn append(&self, id: &DocId, chunk: &[u8], meta: &DocMeta, origin: &Origin) -> Result<u64, StoreError> {
        let seq = self.seq();
        let mut docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        let d = docs.entry(id.clone()).or_default();
        d.chunks.push((seq, chunk.to_vec()));
        d.meta = Some(meta.clone());
        for h in &origin.changes {
            d.provenance.entry(*h).or_insert_with(|| origin.provenance());
        }
        Ok(seq)
    }

    fn provenance(&self, id: &DocId) -> Result<Vec<(ChangeHash, Provenance)>, StoreError> {
        let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        Ok(docs.get(id).map(|d| d.provenance.iter().map(|(h, p)| (*h, p.clone())).collect()).unwrap_or_default())
    }

    fn compact(&self, id: &DocId, snapshot: &[u8], upto_seq: u64) -> Result<(), StoreError> {
        let mut docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = docs.get_mut(id) {
            d.chunks.retain(|(s, _)| *s > upto_seq);
            d.chunks.insert(0, (upto_seq, snapshot.to_vec()));
        }
        Ok(())
    }

    fn delete(&self, id: &DocId) -> Result<(), StoreError> {
        self.docs.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        Ok(())
    }

    fn load(&self, id: &DocId) -> Result<Option<Chunks>, StoreError> {
        let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        Ok(docs.get(id).map(|d| Chunks {
            chunks: d.chunks.iter().map(|(_, c)| c.clone()).collect(),
            last_seq: d.chunks.last().map(|(s, _)| *s).unwrap_or(0),
        }))
    }

    fn list(&self) -> Result<Vec<(DocId, DocMeta)>, StoreError> {
        let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = docs.iter().filter_map(|(id, d)| Some((id.clone(), d.meta.clone()?))).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn reserve_numbers(
        &self,
        user: &UserId,
        prefix: &str,
        year: i32,
        floor: u32,
        count: u32,
    ) -> Result<NumberBlock, StoreError> {
        let mut n = self.numbers.lock().unwrap_or_else(|e| e.into_inner());
        let next = n.next.entry((prefix.to_string(), year)).or_insert(1);
        let block = NumberBlock::issue(prefix, year, *next, floor, count);
        *next = block.last + 1;
        n.issued.push(IssuedBlock { user: user.clone(), block: block.clone() });
        Ok(block)
    }

    fn issued_numbers(&self) -> Result<Vec<IssuedBlock>, StoreError> {
        Ok(self.numbers.lock().unwrap_or_else(|e| e.into_inner()).issued.clone())
    }
}
