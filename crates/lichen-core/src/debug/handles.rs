//! The debug handle table.
//!
//! A debug handle names an [`Entry`] that wraps one universal handle: its
//! bits are the entry's index with a tag in the low bits, so any value can
//! be checked without touching memory it might not point to, and a
//! universal handle (an aligned address) passed by mistake is never taken
//! for a debug one. Closing an entry moves it to a bounded queue instead of
//! freeing it, so that a later use of the stale handle still finds it marked
//! closed and can be reported. When the queue is full, the oldest closed
//! entry is reused for the next open handle (so handle values recycle as in
//! HPy), and when it overflows the oldest entry becomes free, and unknown to
//! later uses.

use super::rawdata::RawData;
use super::stack::Stack;
use lichen_abi::HPy;
use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

/// How many closed handles are remembered by default (as in HPy).
pub const DEFAULT_QUEUE_MAX_SIZE: usize = 1024;
/// How many bytes of protected raw data closed handles may keep by default.
pub const DEFAULT_PROTECTED_RAW_DATA_MAX_SIZE: usize = 10 * 1024 * 1024;
/// The low bits of every debug handle: odd, so never an object's address.
const TAG_BITS: u32 = 4;
const TAG: isize = 0b0101;

/// Hashes addresses with one multiplication: they are unique and not
/// chosen by an adversary, and SipHash was most of a debug call's cost.
#[derive(Default)]
pub struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, addr: usize) {
        // Fibonacci hashing: the product's high bits, which hashbrown uses
        // for its control bytes, depend on every bit of the address.
        self.0 = (addr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A set of addresses (builders, trackers).
pub(crate) type AddrSet = HashSet<usize, BuildHasherDefault<AddrHasher>>;

/// Who owns the universal handle behind a debug handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The extension owns it: closing the debug handle closes it.
    Owned,
    /// Lent to the extension for one call (an argument): closing the debug
    /// handle must not close it, its lender does.
    Borrowed,
    /// A context constant (`h_None`, ...): never closed.
    Immortal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Open,
    Closed,
}

struct Entry {
    uh: HPy,
    id: u64,
    generation: u64,
    state: State,
    kind: Kind,
    raw: Option<RawData>,
    /// Whether `raw` counts against the protected raw data limit.
    raw_counted: bool,
    stack: Option<Stack>,
}

impl Entry {
    fn free() -> Entry {
        Entry {
            uh: HPy::NULL,
            id: 0,
            generation: 0,
            state: State::Free,
            kind: Kind::Owned,
            raw: None,
            raw_counted: false,
            stack: None,
        }
    }

    fn info(&self, index: usize) -> HandleInfo {
        HandleInfo {
            handle: handle_of(index)._i,
            uh: self.uh,
            id: self.id,
            generation: self.generation,
            closed: self.state == State::Closed,
            raw_data_size: self.raw.as_ref().map(|r| r.len()),
            stack: self.stack.clone(),
        }
    }
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
    /// Size of the raw data attached to it, if any.
    pub raw_data_size: Option<usize>,
    /// Where it was opened, if stack traces were on.
    pub stack: Option<Stack>,
}

/// A misuse of a debug handle, found before it reached the universal context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misuse {
    /// The handle was closed before this use; `uh` is what it wrapped and
    /// `kind` who owned it.
    Closed { uh: HPy, kind: Kind },
    /// A context constant was closed; `uh` is the constant.
    Immortal { uh: HPy },
    /// The value was never a handle of this table, or was forgotten long ago.
    Unknown,
}

impl Misuse {
    /// The universal handle a reported misuse may continue with, as HPy does
    /// when an `on_invalid_handle` hook lets execution go on.
    pub fn stale(self) -> HPy {
        match self {
            Misuse::Closed { uh, .. } | Misuse::Immortal { uh } => uh,
            Misuse::Unknown => HPy::NULL,
        }
    }
}

/// What closing an open debug handle leaves to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closed {
    pub uh: HPy,
    pub kind: Kind,
}

/// The debug handle of the entry at `index`.
#[inline]
fn handle_of(index: usize) -> HPy {
    HPy { _i: ((index as isize) << TAG_BITS) | TAG }
}

/// The entry index a debug handle names, if it has the shape of one.
#[inline]
fn index_of(h: HPy) -> Option<usize> {
    (h._i > 0 && h._i & ((1 << TAG_BITS) - 1) == TAG).then_some((h._i >> TAG_BITS) as usize)
}

/// All debug handles of one debug context.
pub struct HandleTable {
    entries: Vec<Entry>,
    /// Indices of free entries.
    free: Vec<usize>,
    /// Indices of closed entries, oldest first.
    closed: VecDeque<usize>,
    queue_max: usize,
    raw_max: usize,
    raw_size: usize,
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
            entries: Vec::new(),
            free: Vec::new(),
            closed: VecDeque::new(),
            queue_max: DEFAULT_QUEUE_MAX_SIZE,
            raw_max: DEFAULT_PROTECTED_RAW_DATA_MAX_SIZE,
            raw_size: 0,
            generation: 0,
            next_id: 0,
        }
    }

    /// The entry `h` names when it is open or remembered closed.
    #[inline]
    fn known(&self, h: HPy) -> Option<(usize, &Entry)> {
        let i = index_of(h)?;
        self.entries.get(i).filter(|e| e.state != State::Free).map(|e| (i, e))
    }

    /// A new debug handle for the universal handle `uh`. `HPy_NULL` stays
    /// `HPy_NULL`. `stack` is where it was opened, if traced.
    pub fn open(&mut self, uh: HPy, kind: Kind, stack: Option<Stack>) -> HPy {
        if uh.is_null() {
            return HPy::NULL;
        }
        self.next_id += 1;
        let i = match self.reusable().or_else(|| self.free.pop()) {
            Some(i) => i,
            None => {
                self.entries.push(Entry::free());
                self.entries.len() - 1
            }
        };
        self.release_raw(i);
        let (id, generation) = (self.next_id, self.generation);
        let e = &mut self.entries[i];
        e.uh = uh;
        e.id = id;
        e.generation = generation;
        e.state = State::Open;
        e.kind = kind;
        e.stack = stack;
        handle_of(i)
    }

    /// The oldest closed entry, taken out of the queue, when the queue is full.
    #[inline]
    fn reusable(&mut self) -> Option<usize> {
        if self.closed.len() < self.queue_max.max(1) {
            return None;
        }
        self.closed.pop_front()
    }

    /// The universal handle behind an open debug handle (NULL for NULL).
    #[inline]
    pub fn unwrap(&self, dh: HPy) -> Result<HPy, Misuse> {
        if dh.is_null() {
            return Ok(HPy::NULL);
        }
        match self.known(dh) {
            Some((_, e)) if e.state == State::Open => Ok(e.uh),
            Some((_, e)) => Err(Misuse::Closed { uh: e.uh, kind: e.kind }),
            None => Err(Misuse::Unknown),
        }
    }

    /// Whether `dh` is a context constant.
    pub fn is_immortal(&self, dh: HPy) -> bool {
        self.known(dh).is_some_and(|(_, e)| e.kind == Kind::Immortal)
    }

    /// Closes `dh`, returning the universal handle and who owns it. Constants
    /// are never closed.
    pub fn close(&mut self, dh: HPy) -> Result<Closed, Misuse> {
        let i = match self.known(dh) {
            Some((i, e)) if e.state == State::Open && e.kind != Kind::Immortal => i,
            Some((_, e)) if e.state == State::Open => return Err(Misuse::Immortal { uh: e.uh }),
            _ => return Err(self.unwrap(dh).err().unwrap_or(Misuse::Unknown)),
        };
        let e = &mut self.entries[i];
        e.state = State::Closed;
        let result = Closed { uh: e.uh, kind: e.kind };
        if e.raw.is_some() {
            self.retire_raw(i);
        }
        self.closed.push_back(i);
        self.trim_queue();
        Ok(result)
    }

    /// Keeps the raw data of the entry closed at `i` (protected) while the
    /// limit allows, else frees it now.
    fn retire_raw(&mut self, i: usize) {
        let e = &mut self.entries[i];
        let Some(raw) = e.raw.as_mut() else { return };
        let size = raw.len();
        if self.raw_size + size > self.raw_max {
            e.raw = None;
        } else {
            self.raw_size += size;
            e.raw_counted = true;
            raw.protect();
        }
    }

    /// Frees the raw data of the entry at `i`, if any.
    #[inline]
    fn release_raw(&mut self, i: usize) {
        let e = &mut self.entries[i];
        if let Some(raw) = e.raw.take() {
            if e.raw_counted {
                self.raw_size -= raw.len();
            }
            e.raw_counted = false;
        }
    }

    /// Forgets the oldest closed entry if the queue is over its limit. One
    /// at a time, as HPy: after the limit was lowered the queue shrinks by
    /// one entry per open (which reuses one) until it fits.
    #[inline]
    fn trim_queue(&mut self) {
        if self.closed.len() > self.queue_max {
            let i = self.closed.pop_front().expect("non-empty");
            self.release_raw(i);
            let e = &mut self.entries[i];
            e.state = State::Free;
            e.stack = None;
            self.free.push(i);
        }
    }

    /// Attaches a copy of data read through the open handle `dh` (whose
    /// pointer the extension gets instead of the original) and returns it.
    /// Replaces (and frees) data attached earlier.
    pub fn attach_raw(&mut self, dh: HPy, data: RawData) -> *const u8 {
        let Some((i, _)) = self.known(dh) else { return core::ptr::null() };
        self.release_raw(i);
        let ptr = data.as_ptr();
        self.entries[i].raw = Some(data);
        ptr
    }

    /// Starts a new generation and returns its number; handles opened from
    /// now on belong to it.
    pub fn new_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// The current state of the debug handle `handle` (its bits), if the
    /// table still knows it.
    pub fn info(&self, handle: isize) -> Option<HandleInfo> {
        self.known(HPy { _i: handle }).map(|(i, e)| e.info(i))
    }

    /// The open, non-constant handles of generation `generation` or later,
    /// oldest first.
    pub fn open_handles(&self, generation: u64) -> Vec<HandleInfo> {
        let mut v: Vec<HandleInfo> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.state == State::Open && e.kind != Kind::Immortal && e.generation >= generation)
            .map(|(i, e)| e.info(i))
            .collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// The closed handles still remembered, of generation `generation` or
    /// later, in closing order.
    pub fn closed_handles(&self, generation: u64) -> Vec<HandleInfo> {
        self.closed
            .iter()
            .map(|&i| self.entries[i].info(i))
            .filter(|i| i.generation >= generation)
            .collect()
    }

    pub fn queue_max_size(&self) -> usize {
        self.queue_max
    }

    /// Changes how many closed handles are remembered. As in HPy the queue
    /// shrinks lazily: each open reuses, and each close frees, at most one
    /// of the oldest entries.
    pub fn set_queue_max_size(&mut self, size: usize) {
        self.queue_max = size;
    }

    pub fn protected_raw_data_max_size(&self) -> usize {
        self.raw_max
    }

    pub fn set_protected_raw_data_max_size(&mut self, size: usize) {
        self.raw_max = size;
    }
}

// SAFETY: the raw data and stacks the entries own are plain memory; callers
// guard the table (a debug context keeps it behind a mutex).
unsafe impl Send for HandleTable {}

#[cfg(test)]
mod tests {
    use super::*;

    fn uh(i: isize) -> HPy {
        HPy { _i: i }
    }

    fn open(t: &mut HandleTable, i: isize) -> HPy {
        t.open(uh(i), Kind::Owned, None)
    }

    #[test]
    fn open_unwrap_close() {
        let mut t = HandleTable::new();
        let a = open(&mut t, 8);
        let b = open(&mut t, 8);
        assert_ne!(a, b, "two opens of one object are two handles");
        assert_eq!(t.unwrap(a), Ok(uh(8)));
        assert_eq!(t.close(a), Ok(Closed { uh: uh(8), kind: Kind::Owned }));
        assert_eq!(t.unwrap(a), Err(Misuse::Closed { uh: uh(8), kind: Kind::Owned }));
        assert_eq!(t.close(a), Err(Misuse::Closed { uh: uh(8), kind: Kind::Owned }), "double close");
        assert_eq!(t.unwrap(b), Ok(uh(8)));
        assert_eq!(open(&mut t, 0), HPy::NULL);
        assert_eq!(t.unwrap(HPy::NULL), Ok(HPy::NULL));
        assert_eq!(t.unwrap(uh(12345)), Err(Misuse::Unknown));
    }

    #[test]
    fn foreign_values_are_unknown() {
        let mut t = HandleTable::new();
        let _first = open(&mut t, 7);
        let a = open(&mut t, 8);
        for bits in [a._i + 16, a._i & !0xF, 0x7f00_0000_1000, -a._i, 1] {
            assert_eq!(t.unwrap(uh(bits)), Err(Misuse::Unknown), "{bits:#x}");
            assert_eq!(t.close(uh(bits)), Err(Misuse::Unknown), "{bits:#x}");
        }
        assert_eq!(t.unwrap(a), Ok(uh(8)));
    }

    #[test]
    fn constants_and_borrowed() {
        let mut t = HandleTable::new();
        let none = t.open(uh(3), Kind::Immortal, None);
        assert_eq!(t.close(none), Err(Misuse::Immortal { uh: uh(3) }));
        assert_eq!(t.unwrap(none), Ok(uh(3)), "a constant stays usable");
        assert!(t.open_handles(0).is_empty(), "constants are not leaks");
        let arg = t.open(uh(5), Kind::Borrowed, None);
        assert_eq!(t.close(arg), Ok(Closed { uh: uh(5), kind: Kind::Borrowed }));
    }

    #[test]
    fn generations_and_leaks() {
        let mut t = HandleTable::new();
        let _old = open(&mut t, 1);
        let g = t.new_generation();
        let a = open(&mut t, 2);
        let b = open(&mut t, 3);
        t.close(a).unwrap();
        let open_now: Vec<HPy> = t.open_handles(g).iter().map(|i| i.uh).collect();
        assert_eq!(open_now, vec![uh(3)]);
        assert_eq!(t.open_handles(0).len(), 2);
        assert_eq!(t.closed_handles(0).len(), 1);
        assert_eq!(t.closed_handles(g + 1).len(), 0);
        t.close(b).unwrap();
        assert!(t.open_handles(g).is_empty());
    }

    #[test]
    fn bounded_closed_queue() {
        let mut t = HandleTable::new();
        t.set_queue_max_size(2);
        let hs: Vec<HPy> = (1..=4).map(|i| open(&mut t, i)).collect();
        for &h in &hs {
            t.close(h).unwrap();
        }
        assert_eq!(t.closed_handles(0).iter().map(|i| i.uh).collect::<Vec<_>>(), vec![uh(3), uh(4)]);
        assert_eq!(t.unwrap(hs[0]), Err(Misuse::Unknown), "forgotten once out of the queue");
        assert!(matches!(t.unwrap(hs[3]), Err(Misuse::Closed { .. })));
    }

    #[test]
    fn full_queue_recycles_the_oldest_entry() {
        let mut t = HandleTable::new();
        let hs: Vec<HPy> = (1..=3).map(|i| open(&mut t, i)).collect();
        for &h in &hs {
            t.close(h).unwrap();
        }
        t.set_queue_max_size(1);
        assert_eq!(t.closed_handles(0).len(), 3, "shrinking is lazy");
        let n = open(&mut t, 9);
        assert_eq!(n, hs[0], "the oldest closed entry is reused");
        assert_eq!(t.unwrap(n), Ok(uh(9)));
        assert!(!t.info(hs[0]._i).unwrap().closed);
        assert_eq!(t.closed_handles(0).len(), 2);
        t.close(n).unwrap();
        assert_eq!(t.closed_handles(0).len(), 2, "closing frees one entry over the limit");
        let m = open(&mut t, 10);
        t.close(m).unwrap();
        assert_eq!(t.closed_handles(0).len(), 1, "until the queue fits");
    }

    #[test]
    fn raw_data_limit() {
        let mut t = HandleTable::new();
        t.set_protected_raw_data_max_size(10);
        let a = open(&mut t, 1);
        let b = open(&mut t, 2);
        let c = open(&mut t, 3);
        t.attach_raw(a, RawData::copy_of(b"0123456"));
        t.attach_raw(b, RawData::copy_of(b"0123"));
        t.attach_raw(c, RawData::copy_of(b"012"));
        assert_eq!(t.info(a._i).unwrap().raw_data_size, Some(7));
        for h in [a, b, c] {
            t.close(h).unwrap();
        }
        let sizes: Vec<_> = t.closed_handles(0).iter().map(|i| i.raw_data_size).collect();
        assert_eq!(sizes, vec![Some(7), None, Some(3)], "kept while the limit allows");
    }
}
