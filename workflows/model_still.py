"""A still picture of a 3D model, drawn on the server without a GPU (numpy + Pillow).

Discord cannot run a 3D viewer in an embed, so the panel shows this picture of the model
instead (when the seller has no photo of the product). The model's triangles are placed by
its node tree, seen from a fixed three-quarter view (from the front left, a little above),
framed to fill the picture, shaded flat (Lambert, one light from over the viewer's shoulder
plus ambient) and drawn with a z-buffer at twice the size, then scaled down (anti-aliasing).
The background is transparent.

Colours: the vertices' COLOR_0 when the model has them, times the material's base colour
factor; a base colour texture is represented by its average colour (a still this size cannot
show texture detail worth the cost). Only triangle primitives are drawn (points and lines
have no surface to show).

Speed: the rasteriser handles triangles in batches by their size in pixels, so a 5 MB model
(~46k triangles) is drawn in well under a second on one core (bench figure in the module's
test, tests/test_model3d.py).
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from workflows.model3d import COMPONENT_BYTES, TRIANGLES, TYPE_SIZES, CheckedModel

SIZE = 512
SUPERSAMPLE = 2
MARGIN = 0.06  # of the picture, around the model
YAW, PITCH = math.radians(-35), math.radians(25)  # the three-quarter view
LIGHT = np.array([-0.45, 0.6, 0.66])  # from the viewer's upper left
AMBIENT = 0.38
BATCH_PIXELS = 1_500_000  # candidate pixels handled at once (memory ~ 40 bytes each)
WORK_PIXELS_MAX = 60_000_000  # candidate pixels in all (~4 s of one core), whatever the model
DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
NORMALISED = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}


def render_png(model: CheckedModel, size: int = SIZE) -> bytes:
    """The model's still picture as a `size`×`size` PNG with a transparent background."""
    big = size * SUPERSAMPLE
    # A hostile model's numbers may overflow to inf or NaN: such triangles are left out below.
    with np.errstate(all="ignore"):
        triangles, colours = _scene_triangles(model)
        rgba = _draw(triangles, colours, big)
    image = Image.fromarray(rgba, "RGBA").convert("RGBa").reduce(SUPERSAMPLE).convert("RGBA")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- reading the model ------------------------------------------------------------------------


def _accessor(model: CheckedModel, index: int) -> np.ndarray:
    """An accessor's elements as floats (count, components); normalised integers as 0..1."""
    accessor = model.gltf.accessors[index]
    components = TYPE_SIZES[accessor.type]
    dtype = np.dtype(DTYPES[accessor.componentType]).newbyteorder("<")
    if accessor.bufferView is None:
        return np.zeros((accessor.count, components), dtype=np.float32)
    view = model.gltf.bufferViews[accessor.bufferView]
    element = COMPONENT_BYTES[accessor.componentType] * components
    stride = view.byteStride or element
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    data = model.buffers[view.buffer]
    # Strided rows of `stride` bytes, the element at the start of each (checked to fit by model3d).
    rows = np.lib.stride_tricks.as_strided(
        np.frombuffer(data, dtype=np.uint8, count=stride * (accessor.count - 1) + element, offset=start),
        shape=(accessor.count, element),
        strides=(stride, 1),
    )
    values = np.ascontiguousarray(rows).view(dtype).reshape(accessor.count, components)
    if accessor.normalized and accessor.componentType in NORMALISED:
        return values.astype(np.float32) / NORMALISED[accessor.componentType]
    return values.astype(np.float32) if accessor.componentType == 5126 else values


def _indices(model: CheckedModel, index: int) -> np.ndarray:
    return _accessor(model, index).reshape(-1).astype(np.int64)


def _node_matrix(node) -> np.ndarray:
    """A node's local transform: its matrix (column-major), or translation × rotation × scale."""
    if node.matrix:
        return np.array(node.matrix, dtype=np.float64).reshape(4, 4).T
    matrix = np.eye(4)
    if node.scale:
        matrix = np.diag([*node.scale, 1.0]) @ matrix
    if node.rotation:
        x, y, z, w = node.rotation
        norm = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
        x, y, z, w = x / norm, y / norm, z / norm, w / norm
        rotation = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w), 0],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w), 0],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y), 0],
                [0, 0, 0, 1],
            ]
        )
        matrix = rotation @ matrix
    if node.translation:
        shift = np.eye(4)
        shift[:3, 3] = node.translation
        matrix = shift @ matrix
    return matrix


def _placed_meshes(model: CheckedModel) -> list[tuple[int, np.ndarray]]:
    """(mesh, world matrix) for every mesh the default scene shows (nodes are a forest:
    model3d checked there is no cycle)."""
    gltf = model.gltf
    if not gltf.nodes:
        return [(number, np.eye(4)) for number in range(len(gltf.meshes))]
    if gltf.scenes:
        roots = list(gltf.scenes[gltf.scene or 0].nodes or [])
    else:
        children = {child for node in gltf.nodes for child in node.children or []}
        roots = [n for n in range(len(gltf.nodes)) if n not in children]
    placed, stack = [], [(root, np.eye(4)) for root in roots]
    while stack:
        number, parent = stack.pop()
        node = gltf.nodes[number]
        world = parent @ _node_matrix(node)
        if node.mesh is not None:
            placed.append((node.mesh, world))
        stack.extend((child, world) for child in node.children or [])
    return placed


def _base_colour(model: CheckedModel, material_index: int | None) -> np.ndarray:
    """RGB of a material: its base colour factor, times its texture's average colour."""
    if material_index is None:
        return np.array([0.75, 0.75, 0.78])
    pbr = model.gltf.materials[material_index].pbrMetallicRoughness
    factor = np.array((pbr.baseColorFactor if pbr and pbr.baseColorFactor else [1, 1, 1, 1])[:3], dtype=float)
    texture = pbr.baseColorTexture if pbr else None
    if texture is not None and texture.index is not None and texture.index < len(model.gltf.textures):
        source = model.gltf.textures[texture.index].source
        if source is not None:
            with Image.open(io.BytesIO(model.images[source])) as image:
                image.draft("RGB", (64, 64))  # JPEG: decode small
                small = image.convert("RGB").resize((8, 8), Image.Resampling.BOX)
            average = np.asarray(small, dtype=float).reshape(-1, 3).mean(axis=0) / 255.0
            factor = factor * average**2.2  # sRGB texels to linear, as the factor is
    return np.clip(factor, 0, 1)


def _scene_triangles(model: CheckedModel) -> tuple[np.ndarray, np.ndarray]:
    """All triangles of the scene in world space (T, 3, 3) and their linear RGB colours (T, 3)."""
    all_triangles, all_colours = [], []
    for mesh_index, world in _placed_meshes(model):
        for primitive in model.gltf.meshes[mesh_index].primitives:
            if (primitive.mode if primitive.mode is not None else TRIANGLES) != TRIANGLES:
                continue
            positions = _accessor(model, primitive.attributes.POSITION)
            if primitive.indices is not None:
                indices = _indices(model, primitive.indices)
            else:
                indices = np.arange(len(positions))
            indices = indices[: len(indices) // 3 * 3].reshape(-1, 3)
            indices = indices[(indices < len(positions)).all(axis=1)]  # a bad index drops its triangle
            if not len(indices):
                continue
            placed = positions.astype(np.float64) @ world[:3, :3].T + world[:3, 3]
            base = _base_colour(model, primitive.material)
            colour_index = getattr(primitive.attributes, "COLOR_0", None)
            if colour_index is not None:
                vertex = _accessor(model, colour_index)[:, :3]
                if len(vertex) == len(positions):
                    face = vertex[indices].mean(axis=1) * base
                else:
                    face = np.tile(base, (len(indices), 1))
            else:
                face = np.tile(base, (len(indices), 1))
            all_triangles.append(placed[indices])
            all_colours.append(face)
    if not all_triangles:
        return np.zeros((0, 3, 3), np.float32), np.zeros((0, 3), np.float32)
    triangles = np.concatenate(all_triangles).astype(np.float64)
    finite = np.isfinite(triangles).all(axis=(1, 2))
    return triangles[finite], np.concatenate(all_colours)[finite]


# --- drawing ----------------------------------------------------------------------------------


def _view(triangles: np.ndarray, size: int) -> np.ndarray:
    """Triangles turned to the three-quarter view and framed: x, y in pixels (y down), z towards
    the viewer."""
    cy, sy, cp, sp = math.cos(YAW), math.sin(YAW), math.cos(PITCH), math.sin(PITCH)
    yaw = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    pitch = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    turned = triangles @ (pitch @ yaw).T
    points = turned.reshape(-1, 3)
    low, high = points.min(axis=0), points.max(axis=0)
    extent = max(float(high[0] - low[0]), float(high[1] - low[1]), 1e-9)
    if not math.isfinite(extent):  # coordinates near the float limit: nothing sensible to frame
        return np.full_like(turned, np.nan)
    scale = size * (1 - 2 * MARGIN) / extent
    centre = (low + high) / 2
    placed = np.empty_like(turned)
    placed[..., 0] = (turned[..., 0] - centre[0]) * scale + size / 2
    placed[..., 1] = (centre[1] - turned[..., 1]) * scale + size / 2
    placed[..., 2] = (turned[..., 2] - centre[2]) * scale
    return placed


def _shade(triangles: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Each triangle's colour lit: ambient plus Lambert from LIGHT, both faces lit alike."""
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    light = LIGHT / np.linalg.norm(LIGHT)
    lambert = np.abs(normals @ light)
    linear = colours * (AMBIENT + (1 - AMBIENT) * lambert)[:, None]
    srgb = np.clip(linear, 0, 1) ** (1 / 2.2)
    return (srgb * 255 + 0.5).astype(np.uint8)


def _draw(triangles: np.ndarray, colours: np.ndarray, size: int) -> np.ndarray:
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    if not len(triangles):
        return rgba
    view = _view(triangles, size)
    keep = np.isfinite(view).all(axis=(1, 2))
    triangles, colours, view = triangles[keep], colours[keep], view[keep]
    if not len(triangles):
        return rgba
    # Lit in the view's frame, so the light stays over the viewer's shoulder (y is down on screen).
    shaded = _shade(view * np.array([1, -1, 1]), colours)
    depth = np.full(size * size, -np.inf)
    colour = np.zeros((size * size, 3), dtype=np.uint8)
    x, y = view[..., 0], view[..., 1]
    x0 = np.floor(x.min(axis=1)).clip(0, size - 1).astype(np.int64)
    y0 = np.floor(y.min(axis=1)).clip(0, size - 1).astype(np.int64)
    x1 = np.ceil(x.max(axis=1)).clip(0, size - 1).astype(np.int64)
    y1 = np.ceil(y.max(axis=1)).clip(0, size - 1).astype(np.int64)
    area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
    extent = np.maximum(x1 - x0, y1 - y0) + 1
    drawable = np.abs(area) > 1e-12
    # The work is the pixels of the triangles' boxes; a model of many big overlapping triangles
    # (a hostile one) would take hours, so past the budget the farthest triangles are left out.
    boxes = np.where(drawable, (x1 - x0 + 1) * (y1 - y0 + 1), 0)
    nearest_first = np.argsort(-view[:, :, 2].max(axis=1), kind="stable")
    over = nearest_first[np.cumsum(boxes[nearest_first]) > WORK_PIXELS_MAX]
    drawable[over] = False
    low = 0
    box = 1
    while low < size:
        chosen = np.nonzero(drawable & (extent > low) & (extent <= box))[0]
        per_batch = BATCH_PIXELS // (box * box)
        if per_batch:
            for start in range(0, len(chosen), per_batch):
                batch = chosen[start : start + per_batch]
                _fill(batch, box, box, view, area, x0, y0, x1, y1, shaded, depth, colour, size)
        else:  # a big triangle alone, over its own bounding box
            for one in chosen:
                batch = np.array([one])
                width, height = int(x1[one] - x0[one]) + 1, int(y1[one] - y0[one]) + 1
                _fill(batch, width, height, view, area, x0, y0, x1, y1, shaded, depth, colour, size)
        low, box = box, box * 2
    covered = np.isfinite(depth)
    rgba.reshape(-1, 4)[covered, :3] = colour[covered]
    rgba.reshape(-1, 4)[covered, 3] = 255
    return rgba


def _fill(batch, width, height, view, area, x0, y0, x1, y1, shaded, depth, colour, size) -> None:
    """Rasterise triangles whose bounding box fits `width`×`height` pixels, all at once: every pixel
    centre of each box is tested against the triangle's edges (barycentric weights), the inside
    ones interpolate depth, and the nearest per pixel wins against the z-buffer."""
    px = x0[batch, None, None] + np.arange(width)[None, None, :]
    py = y0[batch, None, None] + np.arange(height)[None, :, None]
    inside = (px <= x1[batch, None, None]) & (py <= y1[batch, None, None])
    cx, cy = (px + 0.5).astype(np.float32), (py + 0.5).astype(np.float32)
    corner = view[batch].astype(np.float32)[:, :, :, None, None]  # (triangle, corner, axis) against the box
    ax, ay, az = corner[:, 0, 0], corner[:, 0, 1], corner[:, 0, 2]
    bx, by, bz = corner[:, 1, 0], corner[:, 1, 1], corner[:, 1, 2]
    cxv, cyv, cz = corner[:, 2, 0], corner[:, 2, 1], corner[:, 2, 2]
    inverse = (1.0 / area[batch, None, None]).astype(np.float32)
    w0 = ((bx - cx) * (cyv - cy) - (cxv - cx) * (by - cy)) * inverse
    w1 = ((cxv - cx) * (ay - cy) - (ax - cx) * (cyv - cy)) * inverse
    w2 = 1.0 - w0 - w1
    inside &= (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
    if not inside.any():
        return
    z = w0 * az + w1 * bz + w2 * cz
    owner = np.broadcast_to(batch[:, None, None], inside.shape)[inside]
    pixel = (py * size + px)[inside]
    z = z[inside]
    if len(batch) > 1:  # several triangles may cover a pixel: the nearest of them first
        order = np.lexsort((-z, pixel))
        pixel, z, owner = pixel[order], z[order], owner[order]
        first = np.ones(len(pixel), dtype=bool)
        first[1:] = pixel[1:] != pixel[:-1]
        pixel, z, owner = pixel[first], z[first], owner[first]
    nearer = z > depth[pixel]
    depth[pixel[nearer]] = z[nearer]
    colour[pixel[nearer]] = shaded[owner[nearer]]
