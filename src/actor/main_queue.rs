//! A client's main event queue, watched: librdkafka calls back when an event lands on the
//! empty queue, and the callback unparks the thread that serves it. The producer's report
//! thread sleeps until then instead of waking on a timer, so it logs each acknowledgement the
//! moment it arrives. While a burst serves the queue itself, the callback leaves that thread
//! asleep, so that one thread allocates and frees the records (glibc's arenas contend when
//! another thread frees them) and no wake-up is spent per delivery report.

use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;

use rdkafka::ClientContext;
use rdkafka::bindings::{
    rd_kafka_queue_cb_event_enable, rd_kafka_queue_destroy, rd_kafka_queue_get_main,
    rd_kafka_queue_length, rd_kafka_queue_t, rd_kafka_t,
};
use rdkafka::client::Client;

/// Whom to wake, and whether to.
#[derive(Default)]
struct Waker {
    /// The serving thread, once it has said it serves.
    thread: OnceLock<Thread>,
    /// How many callers serve the queue themselves just now.
    quiet: AtomicUsize,
}

impl Waker {
    fn wake(&self) {
        if self.quiet.load(Ordering::Acquire) == 0
            && let Some(thread) = self.thread.get()
        {
            thread.unpark();
        }
    }
}

/// Called by librdkafka, on one of its threads and under the queue's lock, when an event is
/// enqueued on the empty queue.
unsafe extern "C" fn on_first_event(_client: *mut rd_kafka_t, waker: *mut c_void) {
    // SAFETY: `waker` is the `Waker` that `MainQueue::watch` registered; `MainQueue` keeps it
    // alive until its `Drop` has unregistered this callback.
    let waker = unsafe { &*waker.cast::<Waker>() };
    waker.wake();
}

/// A reference to a client's main queue with the wake-up callback registered.
pub struct MainQueue {
    queue: NonNull<rd_kafka_queue_t>,
    waker: Arc<Waker>,
}

// SAFETY: librdkafka's queue functions are thread-safe; `Waker` is `Sync`.
unsafe impl Send for MainQueue {}
// SAFETY: as above.
unsafe impl Sync for MainQueue {}

impl MainQueue {
    /// Watches `client`'s main queue. `None` when librdkafka gives no queue.
    pub fn watch<C: ClientContext>(client: &Client<C>) -> Option<MainQueue> {
        // SAFETY: the handle is valid while `client` lives; the reference this returns is
        // released in `Drop`, which the caller runs before the client is destroyed.
        let queue = NonNull::new(unsafe { rd_kafka_queue_get_main(client.native_ptr()) })?;
        let waker = Arc::new(Waker::default());
        // SAFETY: the queue is valid; the opaque pointer stays valid until unregistered.
        unsafe {
            rd_kafka_queue_cb_event_enable(
                queue.as_ptr(),
                Some(on_first_event),
                Arc::as_ptr(&waker).cast_mut().cast(),
            );
        }
        Some(MainQueue { queue, waker })
    }

    /// Makes the calling thread the one woken when an event arrives.
    pub fn serve_from_this_thread(&self) {
        let _ = self.waker.thread.set(std::thread::current());
    }

    /// Whether the queue holds no event.
    pub fn is_empty(&self) -> bool {
        // SAFETY: the queue reference is valid until `Drop`.
        unsafe { rd_kafka_queue_length(self.queue.as_ptr()) == 0 }
    }

    /// Whether some caller serves the queue itself just now.
    pub fn is_quiet(&self) -> bool {
        self.waker.quiet.load(Ordering::Acquire) > 0
    }

    /// Keeps the serving thread asleep until the guard is dropped, which wakes it.
    pub fn quiet(&self) -> Quiet<'_> {
        self.waker.quiet.fetch_add(1, Ordering::AcqRel);
        Quiet(&self.waker)
    }
}

impl Drop for MainQueue {
    fn drop(&mut self) {
        // SAFETY: unregistering takes the queue's lock, under which the callback runs, so no
        // callback is running or will run once this returns; then the reference is released.
        unsafe {
            rd_kafka_queue_cb_event_enable(self.queue.as_ptr(), None, std::ptr::null_mut());
            rd_kafka_queue_destroy(self.queue.as_ptr());
        }
    }
}

/// While alive, the serving thread is not woken: its owner serves the queue.
pub struct Quiet<'a>(&'a Waker);

impl Drop for Quiet<'_> {
    fn drop(&mut self) {
        self.0.quiet.fetch_sub(1, Ordering::AcqRel);
        self.0.wake();
    }
}
