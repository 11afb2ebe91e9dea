//! Debug handles for tuple and list builders: a builder is consumed by
//! `Build` or `Cancel`, and any later use of it is reported. Closed builders
//! are remembered in a bounded queue, like closed handles.

use std::collections::{HashSet, VecDeque};

/// How many consumed builders are remembered.
pub const BUILDER_QUEUE_MAX_SIZE: usize = 1024;

struct Entry {
    ub: isize,
    closed: bool,
}

/// A misuse of a builder handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuilderMisuse {
    /// Already built or cancelled.
    Consumed,
    /// Not a builder of this table (or forgotten long ago).
    Unknown,
}

#[derive(Default)]
pub struct BuilderTable {
    open: HashSet<usize>,
    closed_set: HashSet<usize>,
    closed: VecDeque<usize>,
}

impl BuilderTable {
    /// A debug builder for the universal builder `ub` (0 stays 0).
    pub fn open(&mut self, ub: isize) -> isize {
        if ub == 0 {
            return 0;
        }
        let addr = Box::into_raw(Box::new(Entry { ub, closed: false })) as usize;
        self.open.insert(addr);
        addr as isize
    }

    fn entry(&self, db: isize) -> Option<&Entry> {
        let addr = db as usize;
        if self.open.contains(&addr) || self.closed_set.contains(&addr) {
            // SAFETY: addresses in the sets are live entries from `open`.
            Some(unsafe { &*(addr as *const Entry) })
        } else {
            None
        }
    }

    /// The universal builder behind an unconsumed debug builder.
    pub fn unwrap(&self, db: isize) -> Result<isize, BuilderMisuse> {
        match self.entry(db) {
            Some(e) if !e.closed => Ok(e.ub),
            Some(_) => Err(BuilderMisuse::Consumed),
            None => Err(BuilderMisuse::Unknown),
        }
    }

    /// Marks `db` consumed, returning the universal builder to consume.
    pub fn close(&mut self, db: isize) -> Result<isize, BuilderMisuse> {
        let ub = self.unwrap(db)?;
        let addr = db as usize;
        self.open.remove(&addr);
        // SAFETY: `addr` was open, so it is a live entry.
        unsafe { (*(addr as *mut Entry)).closed = true };
        self.closed.push_back(addr);
        self.closed_set.insert(addr);
        while self.closed.len() > BUILDER_QUEUE_MAX_SIZE {
            let old = self.closed.pop_front().expect("non-empty");
            self.closed_set.remove(&old);
            // SAFETY: it left both sets; nothing else refers to it.
            drop(unsafe { Box::from_raw(old as *mut Entry) });
        }
        Ok(ub)
    }
}

impl Drop for BuilderTable {
    fn drop(&mut self) {
        for addr in self.open.drain().chain(self.closed.drain(..)) {
            // SAFETY: each address is a live entry owned by the table.
            drop(unsafe { Box::from_raw(addr as *mut Entry) });
        }
    }
}

// SAFETY: reached only through a mutex in the debug info.
unsafe impl Send for BuilderTable {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_once() {
        let mut t = BuilderTable::default();
        let b = t.open(77);
        assert_eq!(t.unwrap(b), Ok(77));
        assert_eq!(t.close(b), Ok(77));
        assert_eq!(t.unwrap(b), Err(BuilderMisuse::Consumed));
        assert_eq!(t.close(b), Err(BuilderMisuse::Consumed));
        assert_eq!(t.unwrap(12345), Err(BuilderMisuse::Unknown));
        assert_eq!(t.open(0), 0);
    }
}
