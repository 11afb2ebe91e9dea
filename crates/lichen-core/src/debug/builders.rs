//! Debug handles for tuple and list builders: a builder is consumed by
//! `Build` or `Cancel`, and any later use of it is reported. Closed builders
//! are remembered in a bounded queue, like closed handles. The universal
//! builder ignores an index out of range (HPy leaves it undefined); the
//! debug builder remembers the first one and its `Build` fails with it.

use super::handles::AddrSet;
use std::collections::VecDeque;

/// How many consumed builders are remembered.
pub const BUILDER_QUEUE_MAX_SIZE: usize = 1024;

struct Entry {
    ub: isize,
    /// The size given to `New`.
    size: isize,
    /// The first index out of range given to `Set`.
    bad_index: Option<isize>,
    closed: bool,
}

/// What `close` hands back: the universal builder to end, and the first
/// index out of range it was given, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed {
    pub ub: isize,
    pub size: isize,
    pub bad_index: Option<isize>,
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
    open: AddrSet,
    closed_set: AddrSet,
    closed: VecDeque<usize>,
}

impl BuilderTable {
    /// A debug builder for the universal builder `ub` of `size` slots (0,
    /// the builder of a `New` that ran out of memory, stays 0).
    pub fn open(&mut self, ub: isize, size: isize) -> isize {
        if ub == 0 {
            return 0;
        }
        let addr = Box::into_raw(Box::new(Entry { ub, size, bad_index: None, closed: false })) as usize;
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

    /// The universal builder behind an unconsumed debug builder that is
    /// given `index`; an index out of range is remembered for `Build`.
    pub fn unwrap_for_set(&mut self, db: isize, index: isize) -> Result<isize, BuilderMisuse> {
        let ub = self.unwrap(db)?;
        // SAFETY: `unwrap` found `db` open, so it is a live entry we own.
        let entry = unsafe { &mut *(db as *mut Entry) };
        if (index < 0 || index >= entry.size) && entry.size >= 0 && entry.bad_index.is_none() {
            entry.bad_index = Some(index);
        }
        Ok(ub)
    }

    /// Marks `db` consumed, returning the universal builder to consume.
    pub fn close(&mut self, db: isize) -> Result<Closed, BuilderMisuse> {
        let ub = self.unwrap(db)?;
        let addr = db as usize;
        // SAFETY: `addr` is open, so it is a live entry.
        let (size, bad_index) = unsafe { ((*(addr as *const Entry)).size, (*(addr as *const Entry)).bad_index) };
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
        Ok(Closed { ub, size, bad_index })
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
        let b = t.open(77, 1);
        assert_eq!(t.unwrap(b), Ok(77));
        assert_eq!(t.close(b), Ok(Closed { ub: 77, size: 1, bad_index: None }));
        assert_eq!(t.unwrap(b), Err(BuilderMisuse::Consumed));
        assert_eq!(t.close(b), Err(BuilderMisuse::Consumed));
        assert_eq!(t.unwrap(12345), Err(BuilderMisuse::Unknown));
        assert_eq!(t.open(0, 3), 0);
    }

    #[test]
    fn the_first_bad_index_is_kept() {
        let mut t = BuilderTable::default();
        let b = t.open(5, 2);
        assert_eq!(t.unwrap_for_set(b, 1), Ok(5));
        assert_eq!(t.unwrap_for_set(b, 2), Ok(5));
        assert_eq!(t.unwrap_for_set(b, -1), Ok(5));
        assert_eq!(t.close(b), Ok(Closed { ub: 5, size: 2, bad_index: Some(2) }));
    }
}
