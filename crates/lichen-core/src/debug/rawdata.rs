//! Copies of raw data (`const char *` results) whose validity is tied to a
//! handle. The extension gets the copy, read-only; when the handle closes the
//! copy is made inaccessible, so a use after close faults at once instead of
//! silently reading memory the VM may have reused.
//!
//! On Linux the copy lives in its own anonymous mapping (whole pages) so it
//! can be protected with `mprotect`. Elsewhere it is a heap copy that is
//! overwritten with a poison byte on close.

/// Byte written over heap copies when their handle closes.
pub const POISON: u8 = 0xDB;

pub struct RawData {
    ptr: *mut u8,
    len: usize,
    #[cfg(target_os = "linux")]
    mapped: usize,
    /// Its entry in the fault report's registry, if any.
    #[cfg(target_os = "linux")]
    fault_slot: Option<usize>,
}

// SAFETY: the copy is owned exclusively by one handle table entry.
unsafe impl Send for RawData {}

impl RawData {
    /// A read-only copy of `data`.
    pub fn copy_of(data: &[u8]) -> RawData {
        Self::copy_impl(data, "")
    }

    /// A read-only copy of `data`, returned by the context function `func`
    /// (which a fault report names).
    pub fn copy_from(data: &[u8], func: &'static str) -> RawData {
        Self::copy_impl(data, func)
    }

    #[cfg(target_os = "linux")]
    fn copy_impl(data: &[u8], func: &'static str) -> RawData {
        // SAFETY: plain POSIX calls; the mapping is fresh, `mapped` bytes
        // long (>= data.len()), and written before it is made read-only.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE).max(4096) as usize;
            let mapped = data.len().div_ceil(page).max(1) * page;
            let p = libc::mmap(
                core::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p as isize == -1 {
                return Self::heap_copy(data);
            }
            core::ptr::copy_nonoverlapping(data.as_ptr(), p as *mut u8, data.len());
            libc::mprotect(p, mapped, libc::PROT_READ);
            let fault_slot = super::fault::register(p as usize, mapped, func);
            RawData { ptr: p as *mut u8, len: data.len(), mapped, fault_slot }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn copy_impl(data: &[u8], _func: &'static str) -> RawData {
        Self::heap_copy(data)
    }

    fn heap_copy(data: &[u8]) -> RawData {
        let b: Box<[u8]> = data.into();
        RawData {
            len: b.len(),
            ptr: Box::into_raw(b) as *mut u8,
            #[cfg(target_os = "linux")]
            mapped: 0,
            #[cfg(target_os = "linux")]
            fault_slot: None,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// Makes the copy unusable: its handle was closed.
    pub fn protect(&mut self) {
        #[cfg(target_os = "linux")]
        if self.mapped != 0 {
            if let Some(i) = self.fault_slot {
                super::fault::mark_closed(i);
            }
            // SAFETY: `ptr`/`mapped` describe our own live mapping.
            unsafe { libc::mprotect(self.ptr.cast(), self.mapped, libc::PROT_NONE) };
            return;
        }
        // SAFETY: a heap copy of `len` bytes we own.
        unsafe { core::ptr::write_bytes(self.ptr, POISON, self.len) };
    }
}

impl Drop for RawData {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if self.mapped != 0 {
            if let Some(i) = self.fault_slot.take() {
                super::fault::unregister(i);
            }
            // SAFETY: our own mapping, unmapped once.
            unsafe { libc::munmap(self.ptr.cast(), self.mapped) };
            return;
        }
        // SAFETY: `ptr`/`len` came from `Box::into_raw` of a boxed slice.
        drop(unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(self.ptr, self.len)) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_is_equal_and_separate() {
        let src = b"hello\0";
        let r = RawData::copy_of(src);
        assert_eq!(r.len(), 6);
        assert_ne!(r.as_ptr(), src.as_ptr());
        // SAFETY: the copy is readable until protected.
        assert_eq!(unsafe { core::slice::from_raw_parts(r.as_ptr(), 6) }, src);
    }
}
