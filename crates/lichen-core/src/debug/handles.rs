//! The debug handle table.
//!
//! A debug handle is the address of a heap-allocated [`Entry`] that wraps one
//! universal handle. Open entries are kept in a set; closing one moves it to
//! a bounded queue instead of freeing it, so that a later use of the stale
//! handle still finds an entry marked closed and can be reported. Only when
//! the queue overflows is the oldest entry freed.

use lichen_abi::HPy;
use std::collections::{HashSet, VecDeque};

/// How many closed handles are remembered by default (as in HPy).
pub const DEFAULT_QUEUE_MAX_SIZE: usize = 1024;

struct Entry {
    uh: HPy,
    id: u64,
    generation: u64,
    closed: bool,
}

/// A snapshot of one debug handle, for `get_open_handles` and reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandleInfo {
    /// The debug handle itself (`HPy._i`).
    pub handle: isize,
    /// The universal handle it wraps.
    pub uh: HPy,
    /// Unique, increasing over the life of the table.
    pub id: u64,
    pub generation: u64,
    pub closed: bool,
}

/// A misuse of a debug handle, found before it reached the universal context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misuse {
    /// The handle was closed before this use (or is not a handle at all).
    Closed { id: u64 },
    /// The value was never a handle of this table, or was forgotten long ago.
    Unknown,
}

/// All debug handles of one debug context.
pub struct HandleTable {
    open: HashSet<usize>,
    closed: VecDeque<usize>,
    queue_max: usize,
    generation: u64,
    next_id: u64,
}

impl Default for HandleTable {
    fn default() -> Self {
        Self::new()
    }
}

impl HandleTable {
    pub fn new() -> Self {
        HandleTable {
            open: HashSet::new(),
            closed: VecDeque::new(),
            queue_max: DEFAULT_QUEUE_MAX_SIZE,
            generation: 0,
            next_id: 0,
        }
    }

    /// A new debug handle for the universal handle `uh` (owned by the table
    /// from now on). `HPy_NULL` stays `HPy_NULL`.
    pub fn open(&mut self, uh: HPy) -> HPy {
        if uh.is_null() {
            return HPy::NULL;
        }
        self.next_id += 1;
        let entry = Box::new(Entry { uh, id: self.next_id, generation: self.generation, closed: false });
        let addr = Box::into_raw(entry) as usize;
        self.open.insert(addr);
        HPy { _i: addr as isize }
    }

    /// The entry behind `dh` if the table knows it (open or remembered closed).
    fn entry(&self, dh: HPy) -> Option<&Entry> {
        let addr = dh._i as usize;
        if self.open.contains(&addr) || self.closed.contains(&addr) {
            // SAFETY: every address in `open` or `closed` came from
            // `Box::into_raw` in `open` and is freed only after leaving both.
            Some(unsafe { &*(addr as *const Entry) })
        } else {
            None
        }
    }

    /// The universal handle behind an open debug handle.
    pub fn unwrap(&self, dh: HPy) -> Result<HPy, Misuse> {
        match self.entry(dh) {
            Some(e) if !e.closed => Ok(e.uh),
            Some(e) => Err(Misuse::Closed { id: e.id }),
            None => Err(Misuse::Unknown),
        }
    }

    /// Closes `dh`, returning the universal handle the caller must now close.
    pub fn close(&mut self, dh: HPy) -> Result<HPy, Misuse> {
        let addr = dh._i as usize;
        if !self.open.remove(&addr) {
            return Err(self.unwrap(dh).err().unwrap_or(Misuse::Unknown));
        }
        // SAFETY: `addr` was in `open`, so it is a live entry from `open()`.
        let entry = unsafe { &mut *(addr as *mut Entry) };
        entry.closed = true;
        self.closed.push_back(addr);
        self.trim_queue();
        Ok(entry.uh)
    }

    fn trim_queue(&mut self) {
        while self.closed.len() > self.queue_max {
            let addr = self.closed.pop_front().expect("non-empty");
            // SAFETY: the entry has left both `open` and `closed`; nothing
            // else refers to it.
            drop(unsafe { Box::from_raw(addr as *mut Entry) });
        }
    }

    /// Starts a new generation and returns its number; handles opened from
    /// now on belong to it.
    pub fn new_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    fn info(addr: usize) -> HandleInfo {
        // SAFETY: called only on addresses held in `open` or `closed`.
        let e = unsafe { &*(addr as *const Entry) };
        HandleInfo { handle: addr as isize, uh: e.uh, id: e.id, generation: e.generation, closed: e.closed }
    }

    /// The open handles of generation `generation` or later, oldest first.
    pub fn open_handles(&self, generation: u64) -> Vec<HandleInfo> {
        let mut v: Vec<HandleInfo> = self
            .open
            .iter()
            .map(|&a| Self::info(a))
            .filter(|i| i.generation >= generation)
            .collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// The closed handles still remembered, oldest first.
    pub fn closed_handles(&self) -> Vec<HandleInfo> {
        self.closed.iter().map(|&a| Self::info(a)).collect()
    }

    pub fn queue_max_size(&self) -> usize {
        self.queue_max
    }

    /// Changes how many closed handles are remembered, forgetting the oldest
    /// ones at once if there are more.
    pub fn set_queue_max_size(&mut self, size: usize) {
        self.queue_max = size;
        self.trim_queue();
    }
}

impl Drop for HandleTable {
    fn drop(&mut self) {
        for addr in self.open.drain().chain(self.closed.drain(..)) {
            // SAFETY: each address is a live entry owned by the table.
            drop(unsafe { Box::from_raw(addr as *mut Entry) });
        }
    }
}

// SAFETY: entries are reached only through the table, which callers guard
// (a debug context keeps its table behind a mutex).
unsafe impl Send for HandleTable {}

#[cfg(test)]
mod tests {
    use super::*;

    fn uh(i: isize) -> HPy {
        HPy { _i: i }
    }

    #[test]
    fn open_unwrap_close() {
        let mut t = HandleTable::new();
        let a = t.open(uh(8));
        let b = t.open(uh(8));
        assert_ne!(a, b, "two opens of one object are two handles");
        assert_eq!(t.unwrap(a), Ok(uh(8)));
        assert_eq!(t.close(a), Ok(uh(8)));
        assert!(matches!(t.unwrap(a), Err(Misuse::Closed { .. })));
        assert!(matches!(t.close(a), Err(Misuse::Closed { .. })), "double close");
        assert_eq!(t.unwrap(b), Ok(uh(8)));
        assert_eq!(t.open(HPy::NULL), HPy::NULL);
        assert_eq!(t.unwrap(uh(12345)), Err(Misuse::Unknown));
    }

    #[test]
    fn generations_and_leaks() {
        let mut t = HandleTable::new();
        let _old = t.open(uh(1));
        let g = t.new_generation();
        let a = t.open(uh(2));
        let b = t.open(uh(3));
        t.close(a).unwrap();
        let open: Vec<HPy> = t.open_handles(g).iter().map(|i| i.uh).collect();
        assert_eq!(open, vec![uh(3)]);
        assert_eq!(t.open_handles(0).len(), 2);
        assert_eq!(t.closed_handles().len(), 1);
        t.close(b).unwrap();
        assert!(t.open_handles(g).is_empty());
    }

    #[test]
    fn bounded_closed_queue() {
        let mut t = HandleTable::new();
        t.set_queue_max_size(2);
        let hs: Vec<HPy> = (1..=4).map(|i| t.open(uh(i))).collect();
        for &h in &hs {
            t.close(h).unwrap();
        }
        assert_eq!(t.closed_handles().iter().map(|i| i.uh).collect::<Vec<_>>(), vec![uh(3), uh(4)]);
        assert_eq!(t.unwrap(hs[0]), Err(Misuse::Unknown), "forgotten once out of the queue");
        assert!(matches!(t.unwrap(hs[3]), Err(Misuse::Closed { .. })));
        t.set_queue_max_size(0);
        assert!(t.closed_handles().is_empty());
    }
}
