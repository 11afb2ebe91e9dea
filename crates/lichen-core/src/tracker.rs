//! `HPyTracker`: a group of handles closed together.
//!
//! HPy promises that once `HPyTracker_New(n)` succeeded, `n` calls to
//! `HPyTracker_Add` cannot fail, and that a handle given to a failing
//! `HPyTracker_Add` is tracked all the same (so the error path can simply
//! close the tracker). Both hold because the tracker always keeps room for
//! one more handle than it holds: `add` stores into that room, then tries to
//! make new room.
//!
//! In universal mode an `HPyTracker` is the address of a boxed [`Tracker`];
//! as in HPy, a tracker used after `Close` is not recognised there (the
//! debug mode keeps its own trackers and reports that misuse).

use lichen_abi::HPy;

/// The room a tracker gets when the extension gives no size hint.
const DEFAULT_CAPACITY: usize = 5;

pub struct Tracker {
    handles: Vec<HPy>,
}

/// Memory for the tracker's handles ran out.
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl Tracker {
    /// A tracker with room for `size` handles (0: no hint) plus the spare one.
    pub fn new(size: usize) -> Result<Tracker, OutOfMemory> {
        let size = if size == 0 { DEFAULT_CAPACITY } else { size };
        let mut handles = Vec::new();
        let room = size.checked_add(1).ok_or(OutOfMemory)?;
        handles.try_reserve_exact(room).map_err(|_| OutOfMemory)?;
        Ok(Tracker { handles })
    }

    /// Tracks `h`. On `Err` the handle is tracked anyway, but there is no
    /// room left for another one.
    pub fn add(&mut self, h: HPy) -> Result<(), OutOfMemory> {
        debug_assert!(self.handles.len() < self.handles.capacity());
        self.handles.push(h);
        if self.handles.len() < self.handles.capacity() {
            return Ok(());
        }
        let grow = self.handles.len();
        self.handles.try_reserve(grow).map_err(|_| OutOfMemory)
    }

    /// Stops tracking every handle without closing them.
    pub fn forget_all(&mut self) {
        self.handles.clear();
    }

    /// The tracked handles, for the caller to close.
    pub fn into_handles(self) -> Vec<HPy> {
        self.handles
    }

    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn h(i: isize) -> HPy {
        HPy { _i: i }
    }

    #[test]
    fn keeps_room_for_one_more_handle() {
        for size in [0, 1, 2, 7] {
            let mut t = Tracker::new(size).unwrap();
            for i in 0..100 {
                assert!(t.handles.len() < t.handles.capacity());
                t.add(h(i + 1)).unwrap();
            }
            assert_eq!(t.len(), 100);
        }
    }

    #[test]
    fn the_size_hint_is_honoured_without_growing() {
        let mut t = Tracker::new(10).unwrap();
        let room = t.handles.capacity();
        for i in 0..10 {
            t.add(h(i + 1)).unwrap();
        }
        assert_eq!(t.handles.capacity(), room);
    }

    #[test]
    fn forget_all_then_close_closes_nothing() {
        let mut t = Tracker::new(0).unwrap();
        t.add(h(1)).unwrap();
        t.add(h(2)).unwrap();
        t.forget_all();
        assert!(t.is_empty());
        t.add(h(3)).unwrap();
        assert_eq!(t.into_handles(), vec![h(3)]);
    }

    #[test]
    fn an_impossible_size_is_out_of_memory() {
        assert!(Tracker::new(usize::MAX).is_err());
        assert!(Tracker::new(usize::MAX / 2).is_err());
    }
}
