"""Images in chat messages, for models loaded with a projector (``Llama(mmproj_path=...)``).

An OpenAI ``image_url`` content part names its image by a data URL (base64
PNG, JPEG, WebP, GIF or BMP), a local path, a ``file://`` URL or an HTTP(S)
URL.  :func:`read_image_source` fetches the bytes (HTTP(S) with a size limit
and a timeout, on the standard library's ``urllib`` as
``llama_native.download`` is: a plain GET needs no HTTP client dependency)
and :func:`decode_image` turns them into RGB pixels with Pillow rather than
libmtmd's own stb_image: Pillow reads WebP, which stb_image does not, applies
a photo's EXIF orientation, guards against decompression bombs, and says
what is wrong with a broken file.

The chat layer puts a marker text where each image was
(:func:`split_image_parts`), renders the template as usual, and
:class:`MediaTokenizer` cuts the prompt at the markers and hands text and
pixels to libmtmd, which adds the model's own image tokens around each
picture.

Example::

    >>> import base64, io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (4, 3), (255, 0, 0)).save(buf, "PNG")
    >>> url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    >>> image = decode_image(read_image_source(url))
    >>> image.width, image.height, image.rgb[:3]
    (4, 3, b'\\xff\\x00\\x00')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Formats :func:`decode_image` accepts (Pillow's names).
SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
#: The most bytes one image may have, as a file or as fetched.
DEFAULT_MAX_IMAGE_BYTES = 20 << 20
#: Seconds an HTTP(S) image may take to arrive.
DEFAULT_FETCH_TIMEOUT = 10.0
#: The most pixels one decoded image may have.
MAX_IMAGE_PIXELS = 64_000_000


class ImageError(ValueError):
    """An image that cannot be used: unreadable, of an unsupported type, too large, or not found."""


@dataclass(frozen=True)
class DecodedImage:
    """An image's RGB pixels (``width * height * 3`` bytes, row by row) and their SHA-256."""

    width: int
    height: int
    rgb: bytes
    sha256: str


def describe_source(source: str) -> str:
    """An image URL short enough for an error message."""
    return source[:40] + "..." if source.startswith("data:") else source


def _data_url_bytes(url: str) -> bytes:
    header, sep, payload = url.partition(",")
    if not sep:
        raise ImageError("a data URL needs a comma before its data (data:image/png;base64,...)")
    meta = header[len("data:") :].split(";")
    mime = meta[0].strip().lower()
    if mime and not mime.startswith("image/"):
        raise ImageError(f"the data URL holds {mime}, not an image")
    if mime and mime.split("/", 1)[1] not in ("png", "jpeg", "jpg", "webp", "gif", "bmp"):
        raise ImageError(f"unsupported image type {mime}; use PNG, JPEG, WebP, GIF or BMP")
    if "base64" not in (m.strip().lower() for m in meta[1:]):
        return urllib.parse.unquote_to_bytes(payload)
    try:
        return base64.b64decode(payload.strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ImageError(f"the data URL's base64 is invalid: {exc}") from None


def _fetch(url: str, max_bytes: int, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "llama-native"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise ImageError(f"the image at {url} is {int(length)} bytes, more than the limit of {max_bytes}")
            data: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise ImageError(f"fetching the image at {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ImageError(f"fetching the image at {url} failed: {reason}") from None
    if len(data) > max_bytes:
        raise ImageError(f"the image at {url} is more than the limit of {max_bytes} bytes")
    return data


def _read_file(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise ImageError(f"image file not found: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise ImageError(f"the image {path} is {size} bytes, more than the limit of {max_bytes}")
    return path.read_bytes()


def read_image_source(
    source: str, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES, timeout: float = DEFAULT_FETCH_TIMEOUT
) -> bytes:
    """The bytes of the image ``source`` names: a data URL, a local path, a ``file://`` or an HTTP(S) URL.

    HTTP(S) images are fetched with ``timeout`` seconds and at most
    ``max_bytes`` bytes (files too are refused above it); ``ImageError``
    says which image failed and why.
    """
    if not isinstance(source, str) or not source:
        raise ImageError(f"an image URL must be a non-empty string, got {source!r}")
    scheme = urllib.parse.urlparse(source).scheme.lower()
    if scheme == "data":
        data = _data_url_bytes(source)
        if len(data) > max_bytes:
            raise ImageError(f"the data URL's image is {len(data)} bytes, more than the limit of {max_bytes}")
        return data
    if scheme in ("http", "https"):
        return _fetch(source, max_bytes, timeout)
    if scheme == "file":
        parsed = urllib.parse.urlparse(source)
        return _read_file(Path(urllib.request.url2pathname(parsed.path)), max_bytes)
    if scheme and len(scheme) > 1:  # (a one-letter scheme is a Windows drive)
        raise ImageError(f"unsupported image URL scheme {scheme!r}: use a data URL, a path, file:// or http(s)://")
    return _read_file(Path(os.path.expanduser(source)), max_bytes)


def decode_image(data: bytes, label: str = "the image") -> DecodedImage:
    """Decode PNG, JPEG, WebP, GIF (first frame) or BMP bytes into RGB pixels (EXIF orientation applied)."""
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise ImportError("reading images needs Pillow: pip install 'llama-native[vision]'") from None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in SUPPORTED_FORMATS:
                raise ImageError(f"{label} is {opened.format}; supported: PNG, JPEG, WebP, GIF, BMP")
            if opened.width * opened.height > MAX_IMAGE_PIXELS:
                raise ImageError(
                    f"{label} is {opened.width}x{opened.height} pixels, more than {MAX_IMAGE_PIXELS} in all"
                )
            picture = ImageOps.exif_transpose(opened).convert("RGB")
    except UnidentifiedImageError:
        raise ImageError(f"{label} is not a PNG, JPEG, WebP, GIF or BMP image (or it is corrupt)") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError(f"{label} could not be decoded: {exc}") from None
    rgb = picture.tobytes()
    digest = hashlib.sha256(f"{picture.width}x{picture.height}:".encode() + rgb).hexdigest()
    return DecodedImage(picture.width, picture.height, rgb, digest)


def load_image(source: str, label: str) -> DecodedImage:
    """Read and decode the image ``source`` names; an ``ImageError`` starts with ``label`` (\"image 2\")."""
    try:
        data = read_image_source(source)
    except ImageError as exc:
        raise ImageError(f"{label}: {exc}") from None
    return decode_image(data, f"{label} ({describe_source(source)})")


def tokenize_with_images(
    projector: Any, pieces: Sequence[bytes], images: Sequence[DecodedImage], add_bos: bool, special: bool
) -> tuple[list[int], Any]:
    """Token ids of ``pieces[0] images[0] pieces[1] ...`` (libmtmd), and the ``_native.PromptMedia`` of the images."""
    from . import _native

    native = [(i.width, i.height, i.rgb, i.sha256) for i in images]
    tokens, media = _native.tokenize_with_media(projector, list(pieces), native, add_bos, special)
    return list(tokens), media


def prompt_size(tokens: Sequence[int], media: Any = None) -> int:
    """The tokens a prompt feeds the model: an M-RoPE image has fewer placeholders than embeddings."""
    return len(tokens) + (media.extra_cells if media is not None else 0)


def image_source_of(part: Any) -> str | None:
    """The URL of an OpenAI ``image_url`` content part (``{"url": ...}`` or a bare string), None for others."""
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    value = part.get("image_url")
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url:
        raise ImageError(f"an image_url content part needs a URL string, got {value!r}")
    return url


def has_images(messages: Any) -> bool:
    """Whether any message's content holds an ``image_url`` part."""
    return isinstance(messages, (list, tuple)) and bool(split_image_parts(messages, "")[1])


def split_image_parts(messages: Sequence[dict[str, Any]], marker: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Messages with each ``image_url`` part replaced by a text part holding ``marker``, and the images' URLs."""
    out: list[dict[str, Any]] = []
    sources: list[str] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list) or not any(image_source_of(p) for p in content):
            out.append(message)
            continue
        parts = []
        for part in content:
            url = image_source_of(part)
            if url is None:
                parts.append(part)
            else:
                sources.append(url)
                parts.append({"type": "text", "text": marker})
        out.append({**message, "content": parts})
    return out, sources


def new_marker() -> str:
    """A marker text no message will hold by chance."""
    return f"<__llama_native_image_{secrets.token_hex(8)}__>"


class MediaTokenizer:
    """The chat layer's ``tokenize(text, add_bos, special)`` for a prompt with images.

    A text holding the marker is cut there and tokenized with the images by
    libmtmd (each image becomes a run of placeholder ids, see
    ``llama_native/native/multimodal.h``); ``media`` then holds what decodes
    them.  Other texts (a grammar's trigger words) tokenize as usual.
    """

    def __init__(self, model: Any, projector: Any, marker: str, images: Sequence[DecodedImage]) -> None:
        self._model = model
        self._projector = projector
        self._marker = marker.encode("utf-8")
        self._images = list(images)
        self.media: Any = None

    def __call__(self, text: bytes, add_bos: bool, special: bool) -> list[int]:
        """Token ids of ``text``; the images' placeholder runs where its markers are."""
        if self._marker not in text:
            return list(self._model.tokenize(text, add_bos, special))
        pieces = text.split(self._marker)
        if len(pieces) - 1 != len(self._images):
            raise ValueError(
                f"the chat template rendered {len(pieces) - 1} image places for {len(self._images)} images; "
                "it drops or repeats message content"
            )
        tokens, self.media = tokenize_with_images(self._projector, pieces, self._images, add_bos, special)
        return tokens
