"""Checking an uploaded 3D model (glTF 2.0) before the store keeps it.

A seller uploads a `.glb` (binary glTF) or a `.gltf` (JSON) whose buffers and images are
embedded as `data:` URIs. Everything is checked against the glTF 2.0 specification
(https://registry.khronos.org/glTF/specs/2.0/glTF-2.0.html, "GLB File Format Specification"
and "Properties Reference") before anything is written:

- the binary header: magic `glTF`, version 2, the declared total length equal to the real
  one, every chunk inside the file, the first chunk JSON;
- the JSON: UTF-8, at most `MAX_JSON_BYTES` in a .glb, nested at most `MAX_DEPTH` deep (a
  "JSON bomb" of nested arrays is refused before it costs anything), an `asset.version` 2.x;
- references: no external or `file://` URIs (the store never reads files or the network on
  a model's behalf: pygltflib would open a relative URI from its working directory), every
  index in range, every accessor inside its buffer view and every view inside its buffer,
  nodes a forest (no node with two parents, no cycle: the still picture walks the tree);
- limits (below), so neither the check, the still picture (workflows/model_still.py) nor a
  buyer's browser is handed more than it can take;
- every embedded texture with `workflows.images.check_image`: a real PNG/JPEG/WebP/GIF and
  no decompression bomb, the same checks as a product photo.

The model is always kept as a .glb: a .gltf is repacked (its buffers and images into the one
binary chunk) and the repacked file is checked again.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from dataclasses import dataclass
from typing import Any

from pygltflib import GLTF2

from workflows.errors import InvalidInput
from workflows.images import check_image

# Limits. A 5 MB model of a game item has ~100k triangles; these leave room for a detailed
# product and stop a file built to exhaust the server or a buyer's phone.
MAX_BYTES = 20 * 1024 * 1024  # the whole upload
MAX_JSON_BYTES = 4 * 1024 * 1024  # a .glb's JSON chunk (a .gltf carries its data inside its JSON)
MAX_DEPTH = 32  # nesting of the JSON (glTF itself needs about 6)
MAX_MESHES = 256
MAX_PRIMITIVES = 1024  # over all meshes
MAX_NODES = 4096
MAX_ACCESSORS = 8192
MAX_BUFFER_VIEWS = 8192
MAX_BUFFERS = 64
MAX_MATERIALS = 256
MAX_TEXTURES = 32  # textures and images each
MAX_VERTICES = 2_000_000  # POSITION elements over all primitives
MAX_TRIANGLES = 2_000_000  # over all triangle primitives
MAX_ACCESSOR_COUNT = 6_000_000  # elements of one accessor (indices of 2M triangles)

# Extensions a model may require that change nothing the still and the viewer need to read.
SUPPORTED_EXTENSIONS = frozenset(
    {"KHR_texture_transform", "KHR_materials_unlit", "KHR_materials_emissive_strength", "EXT_texture_webp"}
)

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
TRIANGLES = 4


@dataclass(frozen=True)
class CheckedModel:
    """A glTF 2.0 model that passed every check.

    `gltf` is the document as pygltflib reads it, `buffers` the bytes of each of its buffers
    (the renderer reads accessors from them), `images` the bytes of each image, `glb` the file
    to keep.
    """

    gltf: GLTF2
    buffers: list[bytes]
    images: list[bytes]
    glb: bytes
    vertices: int
    triangles: int


def refuse(key: str, message: str, **values: object) -> InvalidInput:
    """A refusal said in the seller's language (`errors.model3d_<key>` in workflows/locales)."""
    return InvalidInput(message, key=f"model3d_{key}", **values)


def _unreadable(detail: str) -> InvalidInput:
    return refuse("unreadable", f"the 3D model could not be read ({detail})")


def check_model(data: bytes) -> CheckedModel:
    """The checked model, kept as a .glb; InvalidInput (keyed `errors.model3d_*`) says what is
    wrong with a bad upload."""
    if len(data) > MAX_BYTES:
        raise refuse("too_large", "the 3D model is larger than 20 MB", limit=MAX_BYTES // (1024 * 1024))
    if data[:4] == GLB_MAGIC:
        document, binary = _read_glb(data)
        model = _check_document(document, binary, data)
        return model
    if data.lstrip()[:1] == b"{":
        document = _parse_json(data, limit=MAX_BYTES)
        checked = _check_document(document, None, b"")
        glb = _repack(checked, document)
        again, binary = _read_glb(glb)
        return _check_document(again, binary, glb)
    raise refuse("not_gltf", "the file is not a glTF 2.0 model (.glb, or .gltf with embedded data)")


# --- the container ----------------------------------------------------------------------------


def _read_glb(data: bytes) -> tuple[dict[str, Any], bytes | None]:
    """GLB File Format Specification: a 12-byte header, then chunks of (length, type, data)."""
    if len(data) < 20:
        raise refuse("truncated", "the 3D model is cut short")
    version, declared = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise refuse("version", "only glTF 2.0 models are accepted", version=version)
    if declared != len(data):
        raise refuse(
            "length", "the 3D model's header does not match its size", declared=declared, real=len(data)
        )
    chunks: list[tuple[int, bytes]] = []
    offset = 12
    while offset < len(data):
        if offset + 8 > len(data):
            raise refuse("truncated", "the 3D model is cut short")
        length, kind = struct.unpack_from("<II", data, offset)
        start = offset + 8
        if start + length > len(data):
            raise refuse("chunk", "a part of the 3D model claims to be longer than the file")
        chunks.append((kind, data[start : start + length]))
        offset = start + length
    # "The start and the end of each chunk must be aligned to a 4-byte boundary"; the first
    # chunk is JSON, an optional second one BIN; chunks of other types are ignored.
    if not chunks or chunks[0][0] != CHUNK_JSON:
        raise _unreadable("no JSON chunk first")
    if len(chunks[0][1]) > MAX_JSON_BYTES:
        raise refuse(
            "json_too_large", "the 3D model's description is too large", limit=MAX_JSON_BYTES // 2**20
        )
    binary = chunks[1][1] if len(chunks) > 1 and chunks[1][0] == CHUNK_BIN else None
    return _parse_json(chunks[0][1], limit=MAX_JSON_BYTES), binary


def _parse_json(raw: bytes, limit: int) -> dict[str, Any]:
    if len(raw) > limit:
        raise refuse("json_too_large", "the 3D model's description is too large", limit=limit // 2**20)
    try:
        text = raw.decode("utf-8")
        document = json.loads(text)
    except RecursionError:
        raise refuse("too_deep", "the 3D model's description is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise _unreadable("its JSON does not parse") from None
    if not isinstance(document, dict):
        raise _unreadable("its JSON is not an object")
    if _depth(document) > MAX_DEPTH:
        raise refuse("too_deep", "the 3D model's description is nested too deeply")
    return document


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (without recursion: the value may be hostile)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


# --- the document -----------------------------------------------------------------------------


def _list(document: dict[str, Any], name: str, limit: int, key: str) -> list[dict[str, Any]]:
    items = document.get(name, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _unreadable(f"'{name}' is not a list of objects")
    if len(items) > limit:
        raise refuse(key, f"the 3D model has too many {name}", count=len(items), limit=limit)
    return items


def _int(value: Any, low: int = 0, high: int | None = None, what: str = "a number") -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        raise _unreadable(f"{what} is out of range")
    return value


def _index(value: Any, items: list[Any], what: str) -> int:
    return _int(value, 0, len(items) - 1, what)


def _numbers(value: Any, length: int, what: str) -> None:
    if (
        not isinstance(value, list)
        or len(value) != length
        or not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in value)
    ):
        raise _unreadable(f"{what} is not {length} numbers")


def _data_uri(uri: Any, what: str) -> bytes:
    """An embedded `data:...;base64,` payload; any other URI (a file, a web address) is
    refused: the store never fetches what a model points at."""
    if not isinstance(uri, str) or not uri.startswith("data:"):
        raise refuse("external", "the 3D model refers to outside files; embed everything (use .glb)")
    head, _, payload = uri.partition(",")
    if not head.endswith(";base64"):
        raise _unreadable(f"{what} is not base64 data")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _unreadable(f"{what} is not base64 data") from None


def _check_document(document: dict[str, Any], binary: bytes | None, glb: bytes) -> CheckedModel:
    asset = document.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(version, str) or not version.startswith("2."):
        raise refuse("version", "only glTF 2.0 models are accepted", version=version or "?")

    _check_extensions(document)
    buffers = _buffers(document, binary)
    views = _list(document, "bufferViews", MAX_BUFFER_VIEWS, "too_many_parts")
    for view in views:
        buffer = _index(view.get("buffer"), buffers, "a buffer view's buffer")
        offset = _int(view.get("byteOffset", 0), what="a buffer view's offset")
        length = _int(view.get("byteLength"), 1, what="a buffer view's length")
        if offset + length > len(buffers[buffer]):
            raise refuse("outside", "a part of the 3D model points outside its data")
        if "byteStride" in view:
            stride = _int(view["byteStride"], 4, 252, "a buffer view's stride")
            if stride % 4:
                raise _unreadable("a buffer view's stride is not a multiple of 4")
    accessors = _list(document, "accessors", MAX_ACCESSORS, "too_many_parts")
    for accessor in accessors:
        _check_accessor(accessor, views)

    materials = _list(document, "materials", MAX_MATERIALS, "too_many_parts")
    meshes = _list(document, "meshes", MAX_MESHES, "too_many_meshes")
    vertices = triangles = primitives = 0
    for mesh in meshes:
        parts = mesh.get("primitives")
        if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
            raise _unreadable("a mesh has no primitives")
        primitives += len(parts)
        if primitives > MAX_PRIMITIVES:
            raise refuse(
                "too_many_parts", "the 3D model has too many parts", count=primitives, limit=MAX_PRIMITIVES
            )
        for primitive in parts:
            counted = _check_primitive(primitive, accessors, materials)
            vertices += counted[0]
            triangles += counted[1]
    if vertices > MAX_VERTICES:
        raise refuse(
            "too_many_vertices",
            "the 3D model has too many vertices",
            count=vertices,
            limit=MAX_VERTICES // 10**6,
        )
    if triangles > MAX_TRIANGLES:
        raise refuse(
            "too_many_triangles",
            "the 3D model has too many triangles",
            count=triangles,
            limit=MAX_TRIANGLES // 10**6,
        )

    nodes = _list(document, "nodes", MAX_NODES, "too_many_nodes")
    _check_nodes(document, nodes, meshes)
    images = _images(document, views, buffers)
    textures = _list(document, "textures", MAX_TEXTURES, "too_many_textures")
    for texture in textures:
        if "source" in texture:
            _index(texture["source"], images, "a texture's image")

    try:
        gltf = GLTF2.from_json(json.dumps(document), infer_missing=True)
    except Exception:  # pygltflib's dataclass decoding raises whatever a bad field makes it raise
        raise _unreadable("pygltflib could not read it") from None
    return CheckedModel(gltf, buffers, images, glb, vertices, triangles)


def _check_extensions(document: dict[str, Any]) -> None:
    """ "extensionsRequired": extensions a viewer must support to draw the model at all. The
    store draws its still itself and the public page uses three.js without extra decoders, so
    compressed geometry (Draco, meshopt), quantized positions or Basis textures are refused with
    their name; extensions that only add to the look are fine."""
    required = document.get("extensionsRequired", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        raise _unreadable("'extensionsRequired' is not a list of names")
    for name in required:
        if name not in SUPPORTED_EXTENSIONS:
            raise refuse(
                "extension", f"the 3D model needs {name}, which the store cannot show", name=name[:64]
            )


def _buffers(document: dict[str, Any], binary: bytes | None) -> list[bytes]:
    """Each buffer's bytes: the GLB's BIN chunk for a buffer without a URI (only the first may
    have none, "glb-stored Buffer"), else its embedded data."""
    found = []
    for number, buffer in enumerate(_list(document, "buffers", MAX_BUFFERS, "too_many_parts")):
        length = _int(buffer.get("byteLength"), 1, MAX_BYTES, "a buffer's length")
        if "uri" not in buffer:
            if number != 0 or binary is None:
                raise _unreadable("a buffer has no data")
            data = binary
        else:
            data = _data_uri(buffer["uri"], "a buffer")
        if len(data) < length:
            raise refuse("outside", "a part of the 3D model points outside its data")
        found.append(data[:length])
    return found


def _check_accessor(accessor: dict[str, Any], views: list[dict[str, Any]]) -> None:
    count = _int(accessor.get("count"), 1, MAX_ACCESSOR_COUNT, "an accessor's count")
    component = accessor.get("componentType")
    kind = accessor.get("type")
    if component not in COMPONENT_BYTES or kind not in TYPE_SIZES:
        raise _unreadable("an accessor's type is unknown")
    if "bufferView" not in accessor:
        return  # all zeros ("Accessors" in the spec): nothing to read
    view = views[_index(accessor["bufferView"], views, "an accessor's buffer view")]
    element = COMPONENT_BYTES[component] * TYPE_SIZES[kind]
    stride = view.get("byteStride", element)
    offset = _int(accessor.get("byteOffset", 0), what="an accessor's offset")
    if offset % COMPONENT_BYTES[component]:
        raise _unreadable("an accessor is not aligned")
    if offset + stride * (count - 1) + element > view["byteLength"]:
        raise refuse("outside", "a part of the 3D model points outside its data")


def _check_primitive(
    primitive: dict[str, Any], accessors: list[dict[str, Any]], materials: list[dict[str, Any]]
) -> tuple[int, int]:
    """(vertices, triangles) of one primitive, its references checked."""
    attributes = primitive.get("attributes")
    if not isinstance(attributes, dict) or "POSITION" not in attributes:
        raise _unreadable("a primitive has no positions")
    for name, value in attributes.items():
        _index(value, accessors, f"the attribute {name}")
    position = accessors[attributes["POSITION"]]
    if position["componentType"] != 5126 or position["type"] != "VEC3":
        raise _unreadable("positions are not 3 floats")
    mode = _int(primitive.get("mode", TRIANGLES), 0, 6, "a primitive's mode")
    if "material" in primitive:
        _index(primitive["material"], materials, "a primitive's material")
    elements = position["count"]
    if "indices" in primitive:
        indices = accessors[_index(primitive["indices"], accessors, "a primitive's indices")]
        if indices["type"] != "SCALAR" or indices["componentType"] not in (5121, 5123, 5125):
            raise _unreadable("indices are not whole numbers")
        elements = indices["count"]
    return position["count"], elements // 3 if mode == TRIANGLES else 0


def _check_nodes(document: dict[str, Any], nodes: list[dict[str, Any]], meshes: list[dict[str, Any]]) -> None:
    """Every reference in range and the nodes a forest: "no node may be a direct descendant of
    more than one node" and no cycles (spec, "Nodes and Hierarchy")."""
    parent: dict[int, int] = {}
    for number, node in enumerate(nodes):
        if "mesh" in node:
            _index(node["mesh"], meshes, "a node's mesh")
        children = node.get("children", [])
        if not isinstance(children, list):
            raise _unreadable("a node's children are not a list")
        for child in children:
            _index(child, nodes, "a node's child")
            if child in parent or child == number:
                raise _unreadable("a node has two parents")
            parent[child] = number
        if "matrix" in node:
            _numbers(node["matrix"], 16, "a node's matrix")
        for name, length in (("translation", 3), ("rotation", 4), ("scale", 3)):
            if name in node:
                _numbers(node[name], length, f"a node's {name}")
    for start in parent:  # with one parent each, a cycle is a walk up that comes back
        seen, at = {start}, start
        while at in parent:
            at = parent[at]
            if at in seen:
                raise _unreadable("its nodes form a cycle")
            seen.add(at)
    scenes = _list(document, "scenes", MAX_NODES, "too_many_nodes")
    for scene in scenes:
        roots = scene.get("nodes", [])
        if not isinstance(roots, list):
            raise _unreadable("a scene's nodes are not a list")
        for root in roots:
            _index(root, nodes, "a scene's node")
    if "scene" in document:
        _index(document["scene"], scenes, "the default scene")


def _images(document: dict[str, Any], views: list[dict[str, Any]], buffers: list[bytes]) -> list[bytes]:
    """Each image's bytes, each checked as a product photo is."""
    found = []
    for number, image in enumerate(_list(document, "images", MAX_TEXTURES, "too_many_textures"), 1):
        if "bufferView" in image:
            view = views[_index(image["bufferView"], views, "an image's buffer view")]
            start = view.get("byteOffset", 0)
            data = buffers[view["buffer"]][start : start + view["byteLength"]]
        elif "uri" in image:
            data = _data_uri(image["uri"], "an image")
        else:
            raise _unreadable("an image has no data")
        try:
            check_image(data, max_bytes=MAX_BYTES)
        except InvalidInput:
            raise refuse(
                "texture", "a texture of the 3D model is not a usable image", number=number
            ) from None
        found.append(data)
    return found


# --- repacking a .gltf as a .glb --------------------------------------------------------------


def _pad(data: bytes, filler: bytes = b"\0") -> bytes:
    return data + filler * (-len(data) % 4)


def _repack(checked: CheckedModel, document: dict[str, Any]) -> bytes:
    """A .gltf with embedded data as one .glb: every buffer and data-URI image moved into the
    single BIN chunk (buffer 0, no URI), the buffer views moved with them."""
    document = json.loads(json.dumps(document))  # a copy to rewrite
    blob, starts = bytearray(), []
    for data in checked.buffers:
        starts.append(len(blob))
        blob += _pad(data)
    for view in document.get("bufferViews", []):
        view["byteOffset"] = starts[view["buffer"]] + view.get("byteOffset", 0)
        view["buffer"] = 0
    for image in document.get("images", []):
        if "uri" in image:
            data = _data_uri(image.pop("uri"), "an image")
            image["mimeType"] = check_image(data, max_bytes=MAX_BYTES).content_type
            image["bufferView"] = len(document.setdefault("bufferViews", []))
            document["bufferViews"].append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data)})
            blob += _pad(data)
    if blob:
        document["buffers"] = [{"byteLength": len(blob)}]
    else:
        document.pop("buffers", None)
    return assemble_glb(document, bytes(blob))


def assemble_glb(document: dict[str, Any], blob: bytes) -> bytes:
    """A GLB file from its JSON and its binary chunk (GLB File Format Specification)."""
    json_chunk = _pad(json.dumps(document, separators=(",", ":")).encode(), b" ")
    body = struct.pack("<II", len(json_chunk), CHUNK_JSON) + json_chunk
    if blob:
        body += struct.pack("<II", len(_pad(blob)), CHUNK_BIN) + _pad(blob)
    return GLB_MAGIC + struct.pack("<II", 2, 12 + len(body)) + body
