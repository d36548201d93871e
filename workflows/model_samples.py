"""3D models the project makes itself (no downloaded asset): a faceted gem for the demo store
and the tests, and a field of gems of about 5 MB for the viewer's benchmark.

Written with pygltflib and numpy as binary glTF 2.0: flat-shaded facets (each triangle its own
three vertices, so its normal and colour are its own), POSITION, NORMAL and COLOR_0.
"""

from __future__ import annotations

import numpy as np
from pygltflib import (
    GLTF2,
    Accessor,
    Asset,
    Attributes,
    Buffer,
    BufferView,
    Material,
    Mesh,
    Node,
    PbrMetallicRoughness,
    Primitive,
    Scene,
)

FLOAT, ARRAY_BUFFER = 5126, 34962
BIG_BYTES = 5 * 1024 * 1024


def gem_triangles(sides: int = 8) -> np.ndarray:
    """A brilliant-cut gem as triangles (T, 3, 3): a flat table, a crown down to the girdle,
    a pavilion down to the point. Counter-clockwise seen from outside."""
    angles = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    ring = lambda radius, height, turn=0.0: np.stack(  # noqa: E731
        [radius * np.cos(angles + turn), np.full(sides, height), radius * np.sin(angles + turn)], axis=1
    )
    table, girdle = ring(0.55, 0.45, np.pi / sides), ring(1.0, 0.0)
    top, point = np.array([0.0, 0.45, 0.0]), np.array([0.0, -1.1, 0.0])
    triangles = []
    for i in range(sides):
        j = (i + 1) % sides
        triangles.append((top, table[j], table[i]))  # the table
        triangles.append((table[i], table[j], girdle[j]))  # the crown: kites as two triangles
        triangles.append((table[i], girdle[j], girdle[i]))
        triangles.append((girdle[i], girdle[j], point))  # the pavilion
    return np.asarray(triangles, dtype=np.float32)


def _facet_colours(triangles: np.ndarray, hue: float) -> np.ndarray:
    """A colour per facet around `hue` (0..1), lighter at the top: it reads as cut stone even
    without a renderer's lighting."""
    count = len(triangles)
    height = triangles[:, :, 1].mean(axis=1)
    light = 0.45 + 0.35 * (height - height.min()) / max(float(np.ptp(height)), 1e-6)
    wobble = 0.06 * np.sin(np.arange(count) * 2.399)
    h = (hue + wobble) % 1.0
    rgb = np.stack([_channel(h, 0.0), _channel(h, 1 / 3), _channel(h, 2 / 3)], axis=1)
    return np.clip(rgb * light[:, None] + 0.15, 0.0, 1.0).astype(np.float32)


def _channel(hue: np.ndarray, shift: float) -> np.ndarray:
    return 0.5 + 0.5 * np.cos(2 * np.pi * (hue - shift))


def glb(triangles: np.ndarray, colours: np.ndarray) -> bytes:
    """A .glb of flat-shaded triangles (T, 3, 3) with one RGB colour (T, 3) each."""
    positions = triangles.reshape(-1, 3).astype(np.float32)
    edges = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals = edges / np.maximum(np.linalg.norm(edges, axis=1, keepdims=True), 1e-12)
    normals = np.repeat(normals, 3, axis=0).astype(np.float32)
    vertex_colours = np.repeat(colours, 3, axis=0).astype(np.float32)
    blobs = [positions.tobytes(), normals.tobytes(), vertex_colours.tobytes()]
    offsets = np.cumsum([0, *[len(b) for b in blobs]])
    gltf = GLTF2(
        asset=Asset(version="2.0", generator="discord-store model_samples"),
        scene=0,
        scenes=[Scene(nodes=[0])],
        nodes=[Node(mesh=0, name="gem")],
        meshes=[
            Mesh(
                primitives=[
                    Primitive(attributes=Attributes(POSITION=0, NORMAL=1, COLOR_0=2), material=0, mode=4)
                ]
            )
        ],
        materials=[
            Material(
                pbrMetallicRoughness=PbrMetallicRoughness(
                    baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.1, roughnessFactor=0.35
                ),
                name="stone",
            )
        ],
        accessors=[
            Accessor(
                bufferView=0,
                componentType=FLOAT,
                count=len(positions),
                type="VEC3",
                min=positions.min(axis=0).tolist(),
                max=positions.max(axis=0).tolist(),
            ),
            Accessor(bufferView=1, componentType=FLOAT, count=len(normals), type="VEC3"),
            Accessor(bufferView=2, componentType=FLOAT, count=len(vertex_colours), type="VEC3"),
        ],
        bufferViews=[
            BufferView(buffer=0, byteOffset=int(offsets[i]), byteLength=len(blob), target=ARRAY_BUFFER)
            for i, blob in enumerate(blobs)
        ],
        buffers=[Buffer(byteLength=int(offsets[-1]))],
    )
    gltf.set_binary_blob(b"".join(blobs))
    return b"".join(gltf.save_to_bytes())


def gem() -> bytes:
    """The demo's small model: one teal gem (32 facets, ~3.5 KB)."""
    triangles = gem_triangles()
    return glb(triangles, _facet_colours(triangles, hue=0.47))


def gem_field(target_bytes: int = BIG_BYTES) -> bytes:
    """A square field of gems of every colour, tilted this way and that, of about
    `target_bytes` (108 bytes a facet): the big model of bench/viewer.py."""
    one = gem_triangles(12)
    per_gem = len(one) * 108
    side = max(1, int(np.sqrt(target_bytes / per_gem)))
    rng = np.random.default_rng(19)
    gems, colours = [], []
    for n in range(side * side):
        x, z = n % side, n // side
        turn = rng.uniform(0, 2 * np.pi)
        tilt = rng.uniform(-0.35, 0.35)
        c, s, ct, st = np.cos(turn), np.sin(turn), np.cos(tilt), np.sin(tilt)
        spin = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]) @ np.array([[1, 0, 0], [0, ct, -st], [0, st, ct]])
        placed = one @ spin.T.astype(np.float32) * rng.uniform(0.6, 1.0)
        placed += np.array([x * 2.4, 0.0, z * 2.4], dtype=np.float32)
        gems.append(placed)
        colours.append(_facet_colours(one, hue=float(rng.uniform())))
    return glb(np.concatenate(gems).astype(np.float32), np.concatenate(colours))
