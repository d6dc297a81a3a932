//! The database threads: one OS thread per pooled connection, fed from one queue, on which all database work
//! runs (never on an actix worker).
//!
//! Compared with a semaphore in front of tokio's blocking pool, a busy server hands work over with fewer thread
//! wake-ups: a thread that finishes a piece of work takes the next one from the queue without sleeping, so
//! queueing work wakes a thread only when one is idle, and only the caller is woken when the work is done. (With
//! the semaphore, a permit passed on woke the waiting task's worker, whose spawn then woke an idle blocking thread.)

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A piece of work queued for the threads.
type Job = Box<dyn FnOnce() + Send>;

/// The threads and their queue; dropping the last handle lets them end once the queue is empty.
pub(crate) struct DbThreads {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Threads waiting for work.
    idle: usize,
    /// No handle is left: the threads end when the queue is empty.
    closing: bool,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DbThreads {
    /// Starts `count` threads (at least one).
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub(crate) fn start(count: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), ready: Condvar::new() });
        for i in 0..count.max(1) {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new().name(format!("accountd-db-{i}")).spawn(move || serve(&shared))?;
        }
        Ok(Self { shared })
    }

    /// Queues `work` and waits for its result; `Err(Abandoned)` when it had not started by `deadline`. Work
    /// whose caller gave up (the deadline passed, or the caller's future was dropped) before it started never
    /// runs; work that started is always waited for (and runs to its end even when its caller is gone). A panic
    /// in `work` is resumed here.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        deadline: tokio::time::Instant,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Abandoned> {
        let stage = Stage::new();
        let (answer, mut result) = tokio::sync::oneshot::channel();
        let job_stage = Arc::clone(&stage.0);
        self.submit(Box::new(move || {
            if Stage::start(&job_stage) {
                let _ = answer.send(catch_unwind(AssertUnwindSafe(work)));
            }
        }));
        let outcome = match tokio::time::timeout_at(deadline, &mut result).await {
            Ok(outcome) => outcome,
            Err(_) if stage.abandon() => return Err(Abandoned),
            Err(_) => result.await,
        };
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // a started job always answers (its panic is caught); were one ever dropped, its caller gives up
            Err(_) => Err(Abandoned),
        }
    }

    /// Work queued and not started.
    pub(crate) fn queued(&self) -> usize {
        lock(&self.shared).jobs.len()
    }

    fn submit(&self, job: Job) {
        let mut state = lock(&self.shared);
        state.jobs.push_back(job);
        let wake = state.idle > 0;
        drop(state);
        if wake {
            self.shared.ready.notify_one();
        }
    }
}

impl Drop for DbThreads {
    fn drop(&mut self) {
        lock(&self.shared).closing = true;
        self.shared.ready.notify_all();
    }
}

/// Where a piece of work is: queued, started, or abandoned by its caller. Held by the caller, which abandons the
/// work if it stops waiting (or is dropped) while the work is still queued.
struct Stage(Arc<AtomicU8>);

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

impl Stage {
    fn new() -> Self {
        Self(Arc::new(AtomicU8::new(QUEUED)))
    }

    /// Called by the thread that took the work: whether it may run (its caller still waits).
    fn start(stage: &AtomicU8) -> bool {
        stage.compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Whether the work was still queued, and now never runs.
    fn abandon(&self) -> bool {
        self.0.compare_exchange(QUEUED, ABANDONED, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        self.abandon();
    }
}

/// Work that was not started before its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abandoned;

/// A thread's loop: the next job, or a wait for one.
fn serve(shared: &Shared) {
    let mut state = lock(shared);
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            job();
            state = lock(shared);
        } else if state.closing {
            return;
        } else {
            state.idle += 1;
            state = shared.ready.wait(state).unwrap_or_else(PoisonError::into_inner);
            state.idle -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_threads_and_answers() {
        let threads = DbThreads::start(2).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let name = threads.run(deadline, || std::thread::current().name().map(str::to_owned)).await.unwrap();
        assert!(name.is_some_and(|n| n.starts_with("accountd-db-")));
    }

    #[tokio::test]
    async fn work_not_started_by_its_deadline_never_runs() {
        let threads = DbThreads::start(1).unwrap();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let far = tokio::time::Instant::now() + Duration::from_secs(5);
        let busy = threads.run(far, move || hold.recv().is_ok());
        let ran = Arc::new(AtomicU8::new(0));
        let flag = Arc::clone(&ran);
        let soon = tokio::time::Instant::now() + Duration::from_millis(50);
        let late = threads.run(soon, move || flag.store(1, Ordering::SeqCst));
        let (busy, late) = tokio::join!(busy, async {
            let late = late.await;
            release.send(()).unwrap();
            late
        });
        assert_eq!(late, Err(Abandoned));
        assert_eq!(busy, Ok(true));
        // the queue is served in order: work queued after the abandoned job shows it was skipped
        threads.run(far, || ()).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        assert_eq!(threads.queued(), 0);
    }

    #[tokio::test]
    async fn work_whose_caller_is_gone_before_it_starts_never_runs() {
        let threads = DbThreads::start(1).unwrap();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let far = tokio::time::Instant::now() + Duration::from_secs(5);
        let ran = Arc::new(AtomicU8::new(0));
        let flag = Arc::clone(&ran);
        let busy = threads.run(far, move || hold.recv().is_ok());
        let dropped = threads.run(far, move || flag.store(1, Ordering::SeqCst));
        let (busy, ()) = tokio::join!(busy, async {
            // queued behind the busy work, then given up
            let _ = tokio::time::timeout(Duration::from_millis(20), dropped).await;
            release.send(()).unwrap();
        });
        assert_eq!(busy, Ok(true));
        threads.run(far, || ()).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_panic_reaches_the_caller_and_the_thread_lives_on() {
        let threads = Arc::new(DbThreads::start(1).unwrap());
        let far = tokio::time::Instant::now() + Duration::from_secs(5);
        let caller = Arc::clone(&threads);
        let joined = tokio::spawn(async move { caller.run(far, || -> i32 { panic!("boom") }).await }).await;
        assert!(joined.unwrap_err().is_panic());
        assert_eq!(threads.run(far, || 7).await, Ok(7));
    }
}
