//! A counting global allocator for the test binaries that measure live
//! memory (`leak.rs`, `soak.rs`). Include it with
//! `#[path = "support/alloc.rs"] mod alloc;`: each binary gets its own
//! allocator and its own count.
//!
//! The only `unsafe` in the repository: a global allocator has to be an
//! `unsafe impl`. It forwards every call to `System` unchanged.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Counts the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static CALLS: AtomicIsize = AtomicIsize::new(0);

/// The bytes this test binary currently has allocated.
#[allow(dead_code)] // not every binary including this file asks
pub fn live_bytes() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// How many allocations and reallocations this test binary has made.
#[allow(dead_code)] // not every binary including this file asks
pub fn allocations() -> isize {
    CALLS.load(Ordering::SeqCst)
}

// SAFETY: every method forwards to `System` unchanged and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's arguments.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;
