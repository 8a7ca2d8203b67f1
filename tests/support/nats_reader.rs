//! Reads a JetStream back for the `nats` sink's tests, through
//! `async-nats` on a throw-away runtime: answers of the JetStream API
//! (stream info, leader), and every message of a stream through an ordered
//! consumer, with its `Nats-Msg-Id`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::{PASSWORD, USER};

/// A client for some servers (those running), with the test user or none.
pub struct JetStreamReader {
    pub urls: Vec<String>,
    pub password: bool,
}

impl JetStreamReader {
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn client(&self) -> Result<async_nats::Client, String> {
        let options = if self.password {
            async_nats::ConnectOptions::with_user_and_password(USER.into(), PASSWORD.into())
        } else {
            async_nats::ConnectOptions::new()
        };
        options
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_secs(10)))
            .connect(self.urls.clone())
            .await
            .map_err(|e| e.to_string())
    }

    /// One JetStream API request (empty body) and its JSON answer.
    pub fn api(&self, subject: &str) -> Result<serde_json::Value, String> {
        JetStreamReader::runtime().block_on(async {
            let client = self.client().await?;
            let reply = client
                .request(subject.to_string(), "".into())
                .await
                .map_err(|e| e.to_string())?;
            serde_json::from_slice(&reply.payload).map_err(|e| e.to_string())
        })
    }

    /// `STREAM.INFO` of `stream`, or `None` while it does not exist or the
    /// cluster cannot answer.
    pub fn stream_info(&self, stream: &str) -> Option<serde_json::Value> {
        let info = self.api(&format!("$JS.API.STREAM.INFO.{stream}")).ok()?;
        info.get("error").is_none().then_some(info)
    }

    /// Messages in `stream` (0 while it is missing).
    pub fn message_count(&self, stream: &str) -> u64 {
        self.stream_info(stream)
            .and_then(|i| i["state"]["messages"].as_u64())
            .unwrap_or(0)
    }

    /// The `server_name` of the stream's leader.
    pub fn stream_leader(&self, stream: &str) -> Option<String> {
        let info = self.stream_info(stream)?;
        info["cluster"]["leader"].as_str().map(str::to_string)
    }

    /// Every message of `stream`: (`Nats-Msg-Id` header, subject, payload
    /// as JSON), in stream order. Tried again for a minute: right after a
    /// node died, creating the reading consumer can time out.
    pub fn read_all(
        &self,
        stream: &str,
    ) -> Result<Vec<(String, String, serde_json::Value)>, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let expected = self.message_count(stream) as usize;
            match JetStreamReader::runtime().block_on(self.try_read_all(stream, expected)) {
                Ok(messages) => return Ok(messages),
                Err(error) if Instant::now() < deadline => {
                    eprintln!("reading {stream} failed ({error}); trying again");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(error) => return Err(format!("cannot read {stream}: {error}")),
            }
        }
    }

    async fn try_read_all(
        &self,
        stream: &str,
        expected: usize,
    ) -> Result<Vec<(String, String, serde_json::Value)>, String> {
        let client = self.client().await?;
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream(stream).await.map_err(|e| e.to_string())?;
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(expected);
        while out.len() < expected {
            let next = tokio::time::timeout(Duration::from_secs(30), messages.next())
                .await
                .map_err(|_| "the stream stopped delivering".to_string())?
                .ok_or("the stream ended")?
                .map_err(|e| e.to_string())?;
            let id = next
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.as_str().to_string())
                .unwrap_or_default();
            let payload = serde_json::from_slice(&next.payload).map_err(|e| e.to_string())?;
            out.push((id, next.subject.to_string(), payload));
        }
        Ok(out)
    }
}
