//! The actors on the timeline as one type: the harness's consumers and producers and external
//! programs are stopped, killed, frozen and thawed through `LiveActor`, so that a step names an
//! actor and the kind of actor decides what the step means for it.

use crate::actor::process::ProcessActor;
use crate::actor::{ActorError, ConsumerActor, ProducerActor};

/// An actor the timeline started: one of the harness's clients, or an external program.
pub(super) enum LiveActor {
    /// A harness consumer in its group.
    Consumer(ConsumerActor),
    /// A harness producer.
    Producer(ProducerActor),
    /// An external program; kept once it has ended, for its output.
    Process(ProcessActor),
}

/// What is left of an actor the timeline ended.
pub(super) struct Ending {
    /// What a program said of its end (how it ended, the lines it printed last).
    pub(super) said: Option<String>,
    /// A program, kept ended for its output; a client is gone.
    pub(super) kept: Option<ProcessActor>,
}

impl LiveActor {
    /// Ends it gracefully: a client closes (a consumer leaves its group, a producer flushes),
    /// a program gets Ctrl+C.
    pub(super) async fn stop(self) -> Result<Ending, ActorError> {
        Ok(match self {
            LiveActor::Consumer(consumer) => {
                consumer.stop().await?;
                Ending::gone()
            }
            LiveActor::Producer(producer) => {
                producer.stop().await?;
                Ending::gone()
            }
            LiveActor::Process(mut process) => Ending {
                said: process.stop().await,
                kept: Some(process),
            },
        })
    }

    /// Ends it as a crash would: nothing is closed, nothing flushed.
    pub(super) async fn kill(self) -> Result<Ending, ActorError> {
        match self {
            LiveActor::Consumer(consumer) => consumer.kill().await?,
            LiveActor::Producer(producer) => producer.kill().await,
            LiveActor::Process(mut process) => {
                process.kill().await;
                return Ok(Ending {
                    said: None,
                    kept: Some(process),
                });
            }
        }
        Ok(Ending::gone())
    }

    /// Stops it where it stands, as a stop-the-world pause would; a producer is not frozen.
    pub(super) async fn freeze(&self) -> Result<(), ActorError> {
        match self {
            LiveActor::Consumer(consumer) => consumer.freeze().await,
            LiveActor::Process(process) => {
                process.freeze();
                Ok(())
            }
            LiveActor::Producer(_) => Ok(()),
        }
    }

    /// Lets a frozen actor go on.
    pub(super) fn thaw(&self) {
        match self {
            LiveActor::Consumer(consumer) => consumer.thaw(),
            LiveActor::Process(process) => process.thaw(),
            LiveActor::Producer(_) => {}
        }
    }
}

impl Ending {
    fn gone() -> Ending {
        Ending {
            said: None,
            kept: None,
        }
    }
}
