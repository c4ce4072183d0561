"""Video export: mp4 (H.264 through imageio-ffmpeg), gif, or a PNG frame sequence.

Everything is written under a temporary name beside the destination and renamed only when the
writer closes without an error, so an exception or Ctrl-C never leaves a partial file where the
user asked for one. Quality presets live in one table, `landscape.picture._quality.QUALITIES`;
`QUALITY` is its video part.

    >>> with VideoWriter("out.mp4", quality="low") as w:    # doctest: +SKIP
    ...     for frame in frames:
    ...         view.update(frame)
    ...         w.write(stage)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys

import numpy as np

from landscape.errors import LandscapeError, choice, raise_if_signalled
from landscape.files import (
    check_writable,
    free_bytes,
    remove_quietly,
    temporary_path,
    write_error,
)
from landscape.picture import QUALITIES, VIDEO_FORMATS, extension
from landscape.render._headless import quiet_fork

#: preset → (width, height, frames per second), from the one table of presets
QUALITY = {k: (*q.size, q.fps) for k, q in QUALITIES.items() if k != "tiny"}
FORMATS = tuple(VIDEO_FORMATS.values())


def resolve_quality(quality: str | None = None, size=None, fps=None) -> tuple[tuple[int, int], int]:
    """``(size, fps)`` from a preset, overridden by an explicit ``size``/``fps``."""
    w, h, f = QUALITY[choice("quality preset", quality or "medium", QUALITY)]
    if size is not None:
        w, h = (int(x) for x in size)
    if fps is not None:
        f = fps
    if w < 16 or h < 16:
        raise LandscapeError(f"video size must be at least 16×16, got {w}×{h}")
    if not (0 < float(f) <= 240):
        raise LandscapeError(f"fps must be in (0, 240], got {f}")
    return (w, h), f


def format_of(path: str, fmt: str | None) -> str:
    if fmt is None:
        ext = extension(path)
        fmt = {**VIDEO_FORMATS, "": "png"}.get(ext)
        if fmt is None:
            raise LandscapeError(f"cannot tell the video format from {path!r}; use .mp4, .gif, "
                                 f"or a folder name for PNG frames (or pass fmt=)")
    return choice("video format", fmt, FORMATS)


class VideoWriter:
    """Write frames of a `Stage` (or uint8 ``[H, W, 3]`` arrays) to ``path``.

    Args:
      path: ``.mp4``, ``.gif``, or a folder for PNG frames (``frame_00000.png``, ...).
      fmt: ``"mp4" | "gif" | "png"``; default from the extension.
      quality: ``"low" | "medium" | "high"`` (`QUALITY`); ``size``/``fps`` override it. The
        size must match the stage's (frames of another size raise).
      total: expected frame count, for the progress bar's ETA.
      progress: None shows a bar only on a terminal.
      crf: H.264 quality (lower is better; 18–28 sensible); preset: x264 speed preset.
        ``ultrafast`` costs ~6 ms CPU a 720p frame here against ~17 for ``veryfast``, for
        files ~1.7× larger (still ~1 MB per 10 s): on 2 shared cores the CPU matters more.
    """

    def __init__(self, path, fmt: str | None = None, quality: str | None = None, size=None,
                 fps=None, total: int | None = None, progress: bool | None = None,
                 crf: int = 20, preset: str = "ultrafast"):
        self.path = os.path.abspath(os.fspath(path))
        self.fmt = format_of(self.path, fmt)
        self.size, self.fps = resolve_quality(quality, size, fps)
        check_writable(self.path, allow_directory=self.fmt == "png")
        self.tmp = temporary_path(self.path, ".part" + ("" if self.fmt == "png" else
                                                         f".{self.fmt}"))
        self.n_frames = 0
        self.crf, self.preset = int(crf), preset
        self._writer = None   # the ffmpeg process (mp4)
        self._log = None      # its messages
        self._gif_frames = []
        self._palette = None
        self._closed = False
        self._bar = None
        if progress or (progress is None and sys.stderr.isatty()):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=os.path.basename(self.path), unit="frame",
                             file=sys.stderr, leave=False)
        if self.fmt == "png":
            try:
                os.makedirs(self.tmp, exist_ok=False)
            except OSError as e:
                self._finish()
                raise write_error(self.path, e) from None

    # ---------------------------------------------------------------- writing

    def write(self, frame) -> None:
        """Append one frame: a `Stage` (rendered now) or a uint8 ``[H, W, 3]`` image."""
        if self._closed:
            raise LandscapeError("this video writer is already closed")
        with self._or_abort():
            img = frame.screenshot() if hasattr(frame, "screenshot") else np.asarray(frame)
            raise_if_signalled()   # VTK may have swallowed a signal's exception while rendering
        img = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
        if (img.shape[1], img.shape[0]) != self.size:
            raise LandscapeError(f"frame is {img.shape[1]}×{img.shape[0]} but the video is "
                                 f"{self.size[0]}×{self.size[1]}; make the Stage the same size")
        with self._or_abort():
            getattr(self, f"_write_{self.fmt}")(img)
        self.n_frames += 1
        if self._bar is not None:
            self._bar.update(1)

    def _write_mp4(self, img) -> None:
        if self._writer is None:
            self._writer = self._start_encoder()
        if any(self._pad):
            img = np.pad(img, ((0, self._pad[0]), (0, self._pad[1]), (0, 0)), mode="edge")
        try:
            self._writer.stdin.write(memoryview(np.ascontiguousarray(img)))
        except OSError:   # BrokenPipeError: the encoder stopped (a full disk, killed)
            raise self._encoder_error() from None

    def _start_encoder(self):
        """ffmpeg reading raw RGB frames on its stdin (the command imageio-ffmpeg's
        ``write_frames`` builds for these settings), with its messages kept in a temporary
        file: they are said in one line if it fails, passed on as they are if it succeeds."""
        import subprocess
        import tempfile
        from fractions import Fraction

        import imageio_ffmpeg

        w, h = self.size
        # H.264 with yuv420p needs even sides: pad by one pixel rather than rescale
        self._pad = (h % 2, w % 2)
        fps = self.fps if isinstance(self.fps, Fraction) else Fraction(self.fps).limit_denominator()
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-f", "rawvideo", "-vcodec", "rawvideo",
               "-s", f"{w + self._pad[1]:d}x{h + self._pad[0]:d}", "-pix_fmt", "rgb24",
               "-r", str(fps), "-i", "-", "-an", "-vcodec", "libx264", "-pix_fmt", "yuv420p",
               "-v", "error", "-crf", str(self.crf), "-preset", self.preset,
               "-movflags", "+faststart", self.tmp]
        self._log = tempfile.TemporaryFile()
        with quiet_fork():
            # its own session: a Ctrl-C at the terminal reaches us, and we stop ffmpeg
            return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=self._log, start_new_session=True)

    def _encoder_log(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0)
            return self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def _stop_encoder(self, kill: bool) -> int | None:
        """Close ffmpeg's input and wait for it (``kill``: stop it at once); its exit status."""
        p, self._writer = self._writer, None
        if p is None:
            return None
        if kill:
            p.kill()
        try:
            p.stdin.close()
        except OSError:   # it already left: its exit status says why
            pass
        try:
            return p.wait()
        except BaseException:   # interrupted while it finishes: stop it, then go on
            p.kill()
            p.wait()
            raise

    def _encoder_error(self, status=None) -> LandscapeError:
        """The one-line error for an encoder that stopped or failed (``status``: its exit
        status, when known)."""
        import errno

        self._stop_encoder(kill=False)
        written = self._written()
        remove_quietly(self.tmp)   # before the free space is measured
        log = self._encoder_log()
        if not os.path.isdir(os.path.dirname(self.path)):   # removed while it wrote
            return write_error(self.path, OSError(errno.ENOENT, "No such file or directory"))
        if "No space left" in log or free_bytes(self.path) == 0:
            return write_error(self.path, OSError(errno.ENOSPC, "No space left on device"),
                               written)
        if "Read-only file system" in log or "Permission denied" in log:
            return write_error(self.path, OSError(errno.EROFS, "Read-only file system"))
        lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
        why = lines[-1] if lines else (f"exit status {status}" if status is not None else
                                       "it stopped reading frames")
        return LandscapeError(f"{self.path}: the video encoder (ffmpeg) failed: {why}")

    def _written(self) -> int | None:
        """Bytes of the temporary output so far (a file, or a folder of frames)."""
        try:
            if os.path.isdir(self.tmp):
                return sum(e.stat().st_size for e in os.scandir(self.tmp) if e.is_file())
            return os.path.getsize(self.tmp) if os.path.isfile(self.tmp) else None
        except OSError:
            return None

    def _write_gif(self, img) -> None:
        from PIL import Image

        im = Image.fromarray(img)
        if self._palette is None:   # one adaptive palette from the first frame, for all
            self._palette = im.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        self._gif_frames.append(im.quantize(palette=self._palette, dither=Image.Dither.NONE))

    def _write_png(self, img) -> None:
        from PIL import Image

        Image.fromarray(img).save(os.path.join(self.tmp, f"frame_{self.n_frames:05d}.png"),
                                  compress_level=1)

    # ---------------------------------------------------------------- closing

    def close(self) -> str:
        """Finish the file and move it to ``path``; returns ``path``. A write that fails here
        (a full disk, an encoder error) raises one `LandscapeError` line and leaves no file."""
        if self._closed:
            return self.path
        with self._or_abort():
            raise_if_signalled()
            if self.n_frames == 0:
                raise LandscapeError(f"no frames were written to {self.path}")
            if self.fmt == "mp4":
                status = self._stop_encoder(kill=False)
                log = self._encoder_log()
                if status != 0 or not os.path.isfile(self.tmp) or os.path.getsize(self.tmp) == 0:
                    raise self._encoder_error(status)
                if log.strip():   # said nothing wrong by its exit status: pass it on as before
                    sys.stderr.write(log)
            elif self.fmt == "gif":
                self._gif_frames[0].save(self.tmp, format="GIF", save_all=True,
                                         append_images=self._gif_frames[1:],
                                         duration=int(round(1000 / self.fps)), loop=0,
                                         optimize=False, disposal=1)
            if self.fmt == "png" and os.path.isdir(self.path):
                old = self.path + f".{os.getpid()}.old"
                os.replace(self.path, old)
                os.replace(self.tmp, self.path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(self.tmp, self.path)
        self._finish()
        return self.path

    @contextlib.contextmanager
    def _or_abort(self):
        """Anything raised inside aborts the video (no file is kept); an `OSError` (a full disk,
        a read-only or removed folder) becomes one `LandscapeError` line naming the path."""
        try:
            yield
        except OSError as e:
            written = self._written()
            self.abort()
            raise write_error(self.path, e, written) from None
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Stop and delete the temporary output; the destination is left untouched."""
        try:
            self._stop_encoder(kill=True)
        except OSError:   # the encoder may already be gone; the temp file goes anyway
            pass
        remove_quietly(self.tmp)
        self._finish()

    def _finish(self) -> None:
        self._closed = True
        if self._log is not None:
            self._log.close()
            self._log = None
        self._gif_frames = []
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
