//! Frames between the two KMEs over TCP: a 4-byte big-endian length, then the frame. The
//! frames are the core's (authenticated by the link itself); the length is capped so a hostile
//! peer cannot make this side allocate without bound.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Largest frame accepted (a 2^28-pulse round's photons fit in 64 MiB).
pub const MAX_FRAME: usize = 64 << 20;

/// Writes one frame.
pub async fn send<W: AsyncWriteExt + Unpin>(w: &mut W, frame: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(frame.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(frame).await?;
    w.flush().await
}

/// Reads one frame (an error at end of stream or past [`MAX_FRAME`]).
pub async fn recv<R: AsyncReadExt + Unpin>(r: &mut R) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!("the peer sent a {len}-byte frame (at most {MAX_FRAME})")));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf).await?;
    Ok(buf)
}
