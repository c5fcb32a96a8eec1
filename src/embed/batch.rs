//! Dynamic batching of questions: questions that arrive together are embedded
//! together, in one packed pass ([`super::Embedder::embed_many`]).
//!
//! No thread of its own and no timer: the caller that finds a free lane (one
//! batch per lane at a time; a lane per CPU) becomes the *leader* of a batch,
//! and callers that find every lane busy queue. A leader takes its own
//! question and what is queued (up to `max` in all), runs the batch on its own
//! thread, hands every follower its own vector, and passes its lane to the
//! oldest caller still queued, who leads the next batch with what queued
//! meanwhile. So:
//!
//! - a question with nobody else about (no batch running) starts at once and
//!   never waits for the window;
//! - in a burst, each batch is what queued while the previous one ran;
//! - a question that arrives while a batch runs and a lane is free leads a
//!   batch of its own at once, unless a burst is on (the last batch had
//!   followers: questions arrive faster than lanes free up): then it waits up
//!   to `window` for companions, cut short when the batch is full. So where
//!   callers are let in no faster than there are lanes (a shell with one
//!   search slot per CPU), nobody ever waits for the window.
//!
//! Each caller waits on its own slot, so no answer goes to another caller; a
//! batch that fails or panics fails each of its callers with an error, and the
//! lane is handed on either way, so no caller is left waiting.

use super::EmbedError;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How questions are batched (`[model] batch_window_ms`, `batch_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// How long a leader that is not alone waits for companions (0: no batching).
    pub window: Duration,
    /// Questions in one batch, at most (1: no batching).
    pub max: usize,
    /// Batches running at once.
    pub lanes: usize,
}

impl BatchOptions {
    /// Whether questions are batched at all.
    pub fn enabled(&self) -> bool {
        !self.window.is_zero() && self.max > 1 && self.lanes > 0
    }
}

/// What a queued caller is told.
enum Outcome {
    /// Its vector (or why there is none).
    Done(Result<Vec<f32>, EmbedError>),
    /// A lane was handed to it: it leads the next batch.
    Lead,
}

/// One queued question and where its outcome is put.
struct Waiter {
    ids: Vec<u32>,
    outcome: Mutex<Option<Outcome>>,
    ready: Condvar,
}

impl Waiter {
    fn tell(&self, outcome: Outcome) {
        *lock(&self.outcome) = Some(outcome);
        self.ready.notify_one();
    }

    fn wait(&self) -> Outcome {
        let mut slot = lock(&self.outcome);
        loop {
            if let Some(outcome) = slot.take() {
                return outcome;
            }
            slot = self.ready.wait(slot).unwrap_or_else(|p| p.into_inner());
        }
    }
}

struct Queue {
    /// Callers waiting for a lane, oldest first.
    pending: VecDeque<Arc<Waiter>>,
    /// Lanes in use (batches running or being collected).
    running: usize,
    /// Whether the last batch had followers (a burst is on).
    burst: bool,
}

/// The batching queue; shared by every caller of one model.
pub struct Batcher {
    options: BatchOptions,
    queue: Mutex<Queue>,
    /// Signalled when a caller queues (a collecting leader may be waiting).
    arrived: Condvar,
}

/// A lock that a panic elsewhere did not make unusable: nothing panics while
/// holding one of these (only queue bookkeeping happens under them).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Batcher {
    pub fn new(options: BatchOptions) -> Self {
        Self {
            options,
            queue: Mutex::new(Queue {
                pending: VecDeque::new(),
                running: 0,
                burst: false,
            }),
            arrived: Condvar::new(),
        }
    }

    pub fn options(&self) -> BatchOptions {
        self.options
    }

    /// Callers queued now (tests wait for a burst to have queued).
    #[cfg(test)]
    fn queued(&self) -> usize {
        lock(&self.queue).pending.len()
    }

    /// The vector of `ids`, computed by `embed` in a batch with whatever other
    /// callers' questions come together with it. `embed` gets the batch's
    /// sequences and must return one vector per sequence, in order.
    pub fn embed<F>(&self, ids: Vec<u32>, embed: F) -> Result<Vec<f32>, EmbedError>
    where
        F: Fn(&[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError>,
    {
        let me = Arc::new(Waiter {
            ids,
            outcome: Mutex::new(None),
            ready: Condvar::new(),
        });
        let alone = {
            let mut q = lock(&self.queue);
            if q.running < self.options.lanes.max(1) {
                q.running += 1;
                Some(q.running == 1)
            } else {
                q.pending.push_back(Arc::clone(&me));
                self.arrived.notify_all();
                None
            }
        };
        match alone {
            Some(alone) => self.lead(me, !alone, &embed),
            None => match me.wait() {
                Outcome::Done(v) => v,
                Outcome::Lead => self.lead(me, false, &embed),
            },
        }
    }

    /// Run one batch led by `me` (who holds a lane), then hand the lane on.
    fn lead<F>(&self, me: Arc<Waiter>, collect: bool, embed: &F) -> Result<Vec<f32>, EmbedError>
    where
        F: Fn(&[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError>,
    {
        let max = self.options.max.max(1);
        let followers: Vec<Arc<Waiter>> = {
            let mut q = lock(&self.queue);
            if collect && q.burst && q.pending.is_empty() {
                // wait for companions, for a window at most (cut short when full)
                let deadline = Instant::now() + self.options.window;
                while q.pending.len() + 1 < max {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    q = self
                        .arrived
                        .wait_timeout(q, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
            let take = q.pending.len().min(max - 1);
            q.burst = take > 0;
            q.pending.drain(..take).collect()
        };
        let seqs: Vec<&[u32]> = std::iter::once(me.ids.as_slice())
            .chain(followers.iter().map(|w| w.ids.as_slice()))
            .collect();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| embed(&seqs)));
        // The lane goes on first, so the next batch starts while this one's
        // followers are woken.
        {
            let mut q = lock(&self.queue);
            match q.pending.pop_front() {
                Some(next) => next.tell(Outcome::Lead),
                None => q.running -= 1,
            }
        }
        let failure = |why: &str| EmbedError::Batch {
            questions: seqs.len(),
            message: why.to_string(),
        };
        match result {
            Ok(Ok(vectors)) if vectors.len() == seqs.len() => {
                let mut vectors = vectors.into_iter();
                let mine = vectors.next();
                for (w, v) in followers.iter().zip(vectors) {
                    w.tell(Outcome::Done(Ok(v)));
                }
                mine.ok_or_else(|| failure("the model returned no vector"))
            }
            outcome => {
                let why = match outcome {
                    Ok(Ok(vectors)) => format!(
                        "the model returned {} vectors for {} questions",
                        vectors.len(),
                        seqs.len()
                    ),
                    Ok(Err(e)) => e.to_string(),
                    Err(panic) => format!("it panicked: {}", panic_message(&panic)),
                };
                tracing::error!(questions = seqs.len(), "embedding a batch failed: {why}");
                for w in &followers {
                    w.tell(Outcome::Done(Err(failure(&why))));
                }
                Err(failure(&why))
            }
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn options(window: Duration, max: usize, lanes: usize) -> BatchOptions {
        BatchOptions { window, max, lanes }
    }

    /// A stand-in model: each sequence's vector is its ids as floats, so a
    /// vector handed to the wrong caller shows.
    fn echo(seqs: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(seqs
            .iter()
            .map(|ids| ids.iter().map(|&i| i as f32).collect())
            .collect())
    }

    /// Until `cond` holds (a test of ordering, not of time: it gives up after a minute).
    fn until(cond: impl Fn() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(start.elapsed() < Duration::from_secs(60), "never happened");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn options_with_no_window_or_a_batch_of_one_mean_no_batching() {
        assert!(!options(Duration::ZERO, 16, 2).enabled());
        assert!(!options(Duration::from_millis(2), 1, 2).enabled());
        assert!(!options(Duration::from_millis(2), 16, 0).enabled());
        assert!(options(Duration::from_millis(2), 16, 2).enabled());
    }

    #[test]
    fn a_question_alone_is_embedded_at_once_not_after_the_window() {
        // an hour's window: a lone caller that waited for it would never answer here
        let b = Arc::new(Batcher::new(options(Duration::from_secs(3600), 16, 2)));
        let (tx, rx) = mpsc::channel();
        let b2 = Arc::clone(&b);
        std::thread::spawn(move || {
            let _ = tx.send(b2.embed(vec![7, 8], echo));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a lone question waited for the window");
        assert_eq!(got.unwrap(), vec![7.0, 8.0]);
    }

    #[test]
    fn a_second_caller_on_a_free_lane_does_not_wait_for_the_window_when_no_burst_is_on() {
        // two lanes, an hour's window: the first batch is held; the second
        // caller takes the other lane and must be answered without waiting
        let b = Arc::new(Batcher::new(options(Duration::from_secs(3600), 16, 2)));
        let (release, hold) = mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let started = Arc::new(Mutex::new(0usize));
        let embed = Arc::new({
            let started = Arc::clone(&started);
            move |seqs: &[&[u32]]| {
                *lock(&started) += 1;
                if seqs[0][0] == 0 {
                    let _ = lock(&hold).recv();
                }
                echo(seqs)
            }
        });
        let spawn = |i: u32| {
            let (b, embed) = (Arc::clone(&b), Arc::clone(&embed));
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(b.embed(vec![i], |s| embed(s)));
            });
            rx
        };
        let first = spawn(0);
        until(|| *lock(&started) == 1);
        let second = spawn(1)
            .recv_timeout(Duration::from_secs(60))
            .expect("the second caller waited for the window");
        assert_eq!(second.unwrap(), vec![1.0]);
        release.send(()).unwrap();
        assert_eq!(first.recv().unwrap().unwrap(), vec![0.0]);
    }

    #[test]
    fn callers_queued_behind_a_batch_are_embedded_together_each_with_its_own_vector() {
        let b = Arc::new(Batcher::new(options(Duration::from_millis(1), 16, 1)));
        let (release, hold) = mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let embed = {
            let sizes = Arc::clone(&sizes);
            move |seqs: &[&[u32]]| {
                lock(&sizes).push(seqs.len());
                // the first batch blocks until released, so the others queue behind it
                if seqs[0][0] == 0 {
                    let _ = lock(&hold).recv();
                }
                echo(seqs)
            }
        };
        let embed = Arc::new(embed);
        let spawn = |i: u32| {
            let (b, embed) = (Arc::clone(&b), Arc::clone(&embed));
            std::thread::spawn(move || b.embed(vec![i, i + 1000], |s| embed(s)))
        };
        let first = spawn(0);
        until(|| lock(&sizes).len() == 1);
        let rest: Vec<_> = (1..=10).map(spawn).collect();
        until(|| b.queued() == 10);
        release.send(()).unwrap();
        assert_eq!(first.join().unwrap().unwrap(), vec![0.0, 1000.0]);
        for (i, h) in (1..=10).zip(rest) {
            let v = h.join().unwrap().unwrap();
            assert_eq!(v, vec![i as f32, (i + 1000) as f32], "caller {i}");
        }
        // the ten that queued went in one batch behind the first
        assert_eq!(*lock(&sizes), vec![1, 10]);
    }

    #[test]
    fn batches_hold_at_most_max_questions() {
        let b = Arc::new(Batcher::new(options(Duration::from_millis(1), 4, 1)));
        let (release, hold) = mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let embed = Arc::new({
            let sizes = Arc::clone(&sizes);
            move |seqs: &[&[u32]]| {
                lock(&sizes).push(seqs.len());
                if seqs[0] == [0] {
                    let _ = lock(&hold).recv();
                }
                echo(seqs)
            }
        });
        let spawn = |i: u32| {
            let (b, embed) = (Arc::clone(&b), Arc::clone(&embed));
            std::thread::spawn(move || b.embed(vec![i], |s| embed(s)))
        };
        let first = spawn(0);
        until(|| lock(&sizes).len() == 1);
        let rest: Vec<_> = (1..=10).map(spawn).collect();
        until(|| b.queued() == 10);
        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        for (i, h) in (1..=10).zip(rest) {
            assert_eq!(h.join().unwrap().unwrap(), vec![i as f32]);
        }
        let sizes = lock(&sizes).clone();
        assert_eq!(sizes.iter().sum::<usize>(), 11);
        assert!(sizes.iter().all(|&n| n <= 4), "{sizes:?}");
        assert_eq!(sizes[1..], [4, 4, 2], "{sizes:?}");
    }

    #[test]
    fn a_batch_that_panics_or_fails_fails_its_callers_and_the_next_batch_runs() {
        let b = Arc::new(Batcher::new(options(Duration::from_millis(1), 16, 1)));
        let (release, hold) = mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let batches = Arc::new(Mutex::new(0usize));
        let embed = Arc::new({
            let batches = Arc::clone(&batches);
            move |seqs: &[&[u32]]| -> Result<Vec<Vec<f32>>, EmbedError> {
                *lock(&batches) += 1;
                match seqs[0] {
                    [0] => {
                        let _ = lock(&hold).recv();
                        echo(seqs)
                    }
                    [1] => panic!("a bad batch"),
                    [2] => Err(EmbedError::Tokenize("refused".into())),
                    [3] => Ok(Vec::new()),
                    _ => echo(seqs),
                }
            }
        });
        let run = |i: u32| {
            let (b, embed) = (Arc::clone(&b), Arc::clone(&embed));
            std::thread::spawn(move || b.embed(vec![i], |s| embed(s)))
        };
        // a panicking batch with followers behind it
        let first = run(0);
        until(|| *lock(&batches) == 1);
        let bad = run(1);
        until(|| b.queued() == 1);
        let behind: Vec<_> = (10..13).map(run).collect();
        until(|| b.queued() == 4);
        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        let err = bad.join().unwrap().unwrap_err();
        assert!(err.to_string().contains("a bad batch"), "{err}");
        for h in behind {
            let err = h.join().unwrap().unwrap_err();
            assert!(
                matches!(err, EmbedError::Batch { questions: 4, .. }),
                "{err}"
            );
        }
        // an error, and a wrong number of vectors, fail their callers too
        let err = run(2).join().unwrap().unwrap_err();
        assert!(err.to_string().contains("refused"), "{err}");
        let err = run(3).join().unwrap().unwrap_err();
        assert!(err.to_string().contains("0 vectors for 1"), "{err}");
        // and the lane was handed back every time: the next question is answered
        assert_eq!(run(42).join().unwrap().unwrap(), vec![42.0]);
        assert_eq!(lock(&b.queue).running, 0);
    }
}
