//! Work spread over the cores (two on the machines handoff is measured on), for the few places
//! where it pays: listing thousands of files, and estimating or redacting a long transcript.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Below this many items the threads cost more than they save.
const PARALLEL_FROM: usize = 16;

fn threads_for(items: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if items < PARALLEL_FROM { 1 } else { cores }
}

/// Runs `work` on `threads` threads (this one included) and puts the indexed results it returns
/// in index order.
fn on_threads<R: Send>(threads: usize, work: impl Fn() -> Vec<(usize, R)> + Sync) -> Vec<R> {
    let mut indexed: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(&work)).collect();
        let mut all = work();
        for helper in helpers {
            // A helper that panicked lost its items; the caller's catch_unwind reports the panic.
            match helper.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    indexed.sort_unstable_by_key(|(index, _)| *index);
    indexed.into_iter().map(|(_, r)| r).collect()
}

/// `f` over every item, on as many threads as there are cores, results in item order. Items are
/// handed out one at a time, so a few big ones do not leave a core idle.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    on_threads(threads, || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, f(item)));
        }
    })
}

/// `f` over `items` in chunks of `chunk` items, changing them in place, on as many threads as
/// there are cores; one result per chunk, in order.
pub fn par_chunks_mut<T: Send, R: Send>(
    items: &mut [T],
    chunk: usize,
    f: impl Fn(&mut [T]) -> R + Sync,
) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads < 2 {
        return items.chunks_mut(chunk.max(1)).map(f).collect();
    }
    let chunks = Mutex::new(items.chunks_mut(chunk.max(1)).enumerate());
    on_threads(threads, || {
        let mut done = Vec::new();
        // A poisoned lock means another thread panicked: stop, its panic is reported.
        while let Some((index, items)) = chunks.lock().ok().and_then(|mut c| c.next()) {
            done.push((index, f(items)));
        }
        done
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_item_order() {
        let items: Vec<usize> = (0..1000).collect();
        let doubled = par_map(&items, |i| i * 2);
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn par_chunks_mut_changes_every_item_once_and_keeps_chunk_order() {
        let mut items: Vec<usize> = (0..1000).collect();
        let sums = par_chunks_mut(&mut items, 7, |chunk| {
            chunk.iter_mut().for_each(|i| *i += 1);
            chunk.iter().sum::<usize>()
        });
        assert_eq!(items, (1..=1000).collect::<Vec<_>>());
        let expected: Vec<usize> = items.chunks(7).map(|c| c.iter().sum()).collect();
        assert_eq!(sums, expected);
    }
}
