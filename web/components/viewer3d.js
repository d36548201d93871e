// The 3D viewer (web/components/viewer3d.py wraps it for Reflex): a glTF model drawn with
// three.js, orbit and zoom by mouse or touch, a slow turntable until the viewer is touched, a
// reset button, a loading state and an error message (texts come from the page, in the
// seller's language). Named imports only, so the bundler keeps just the parts of three used.
// Plain React.createElement, no JSX: this file is served from public/ as it is written.
import { createElement as h, useEffect, useRef, useState } from "react";
import {
  Box3,
  DirectionalLight,
  HemisphereLight,
  MathUtils,
  PerspectiveCamera,
  Scene,
  Vector3,
  WebGLRenderer,
} from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const overlay = {
  position: "absolute",
  inset: 0,
  display: "flex",
  alignItems: "center",
  justifyContent: "center",
  textAlign: "center",
  padding: "1em",
  color: "var(--gray-11)",
  pointerEvents: "none",
};

// Dispose what the GPU holds for a model: geometries, materials and their textures.
function release(root) {
  root.traverse((node) => {
    if (node.geometry) node.geometry.dispose();
    const materials = Array.isArray(node.material) ? node.material : node.material ? [node.material] : [];
    for (const material of materials) {
      for (const value of Object.values(material)) {
        if (value && value.isTexture) value.dispose();
      }
      material.dispose();
    }
  });
}

// Camera and orbit limits from the model's bounding box: the whole model in view, turning
// around its centre, whatever units and origin it was exported with.
function frame(model, camera, controls) {
  const box = new Box3().setFromObject(model);
  const centre = box.getCenter(new Vector3());
  model.position.sub(centre);
  const radius = Math.max(box.getSize(new Vector3()).length() / 2, 1e-3);
  const distance = (radius / Math.sin(MathUtils.degToRad(camera.fov / 2))) * 1.05;
  camera.position.copy(new Vector3(0.62, 0.42, 0.78).normalize().multiplyScalar(distance));
  camera.near = distance / 100;
  camera.far = distance * 100;
  camera.updateProjectionMatrix();
  controls.target.set(0, 0, 0);
  controls.minDistance = radius * 0.4;
  controls.maxDistance = distance * 4;
  controls.update();
  controls.saveState();
}

export function Viewer3D({ src, loadingText, errorText, resetText, label, height, id, className }) {
  const holder = useRef(null);
  const resetView = useRef(() => {});
  const [state, setState] = useState("loading");

  useEffect(() => {
    const element = holder.current;
    if (!element || !src) return undefined;
    setState("loading");
    let renderer;
    try {
      renderer = new WebGLRenderer({ antialias: true, alpha: true });
    } catch (error) {
      setState("error"); // no WebGL in this browser
      return undefined;
    }
    let cancelled = false;
    let model = null;
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    renderer.domElement.style.display = "block";
    renderer.domElement.style.touchAction = "none";
    element.appendChild(renderer.domElement);

    const scene = new Scene();
    const camera = new PerspectiveCamera(40, 1, 0.01, 1000);
    scene.add(new HemisphereLight(0xffffff, 0x50505a, 1.6));
    // A key light riding with the camera: the side the buyer looks at is always lit.
    const key = new DirectionalLight(0xffffff, 2.2);
    key.position.set(1, 1.5, 2);
    camera.add(key);
    scene.add(camera);

    const controls = new OrbitControls(camera, renderer.domElement);
    controls.enableDamping = true;
    controls.enablePan = false;
    // A slow turntable, unless the visitor asked their system for less motion.
    const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    controls.autoRotate = !still;
    controls.autoRotateSpeed = 1.5;
    // The turntable stops once the buyer turns or zooms the model themselves.
    const stop = () => {
      controls.autoRotate = false;
    };
    controls.addEventListener("start", stop);
    resetView.current = () => {
      controls.reset();
      controls.autoRotate = !still;
    };

    const fit = () => {
      const width = element.clientWidth || 1;
      const tall = element.clientHeight || 1;
      renderer.setSize(width, tall, false);
      renderer.domElement.style.width = "100%";
      renderer.domElement.style.height = "100%";
      camera.aspect = width / tall;
      camera.updateProjectionMatrix();
    };
    fit();
    const resized = new ResizeObserver(fit);
    resized.observe(element);

    let drawn = false;
    const draw = () => {
      controls.update();
      renderer.render(scene, camera);
      if (!drawn) {
        drawn = true;
        // The benchmark (bench/viewer.py) reads when the model was first on screen.
        if (window.__firstFrameMs === undefined) window.__firstFrameMs = performance.now();
        setState("ready");
      }
    };

    // Drawing costs a frame's work 60 times a second: only while the viewer is on screen.
    let onScreen = true;
    const loop = () => renderer.setAnimationLoop(model && onScreen ? draw : null);
    const seen = new IntersectionObserver(([entry]) => {
      onScreen = entry.isIntersecting;
      loop();
    });
    seen.observe(element);

    new GLTFLoader().load(
      src,
      (gltf) => {
        if (cancelled) {
          release(gltf.scene);
          return;
        }
        model = gltf.scene;
        scene.add(model);
        frame(model, camera, controls);
        draw(); // the first frame at once, on screen or not: the viewer is ready
        loop();
      },
      undefined,
      () => {
        if (!cancelled) setState("error");
      },
    );

    return () => {
      cancelled = true;
      renderer.setAnimationLoop(null);
      resized.disconnect();
      seen.disconnect();
      controls.removeEventListener("start", stop);
      controls.dispose();
      if (model) release(model);
      renderer.dispose();
      element.removeChild(renderer.domElement);
      resetView.current = () => {};
    };
  }, [src]);

  return h(
    "div",
    {
      id,
      className,
      "data-state": state,
      style: { position: "relative", width: "100%", height: height || "360px" },
    },
    h("div", { ref: holder, role: "img", "aria-label": label, style: { position: "absolute", inset: 0 } }),
    state === "loading" ? h("div", { className: "viewer3d-loading", style: overlay }, loadingText) : null,
    state === "error"
      ? h("div", { className: "viewer3d-error", role: "alert", style: { ...overlay, color: "var(--red-11)" } }, errorText)
      : null,
    state === "ready"
      ? h(
          "button",
          {
            type: "button",
            className: "viewer3d-reset",
            onClick: () => resetView.current(),
            style: {
              position: "absolute",
              right: "0.5em",
              bottom: "0.5em",
              padding: "0.25em 0.75em",
              borderRadius: "6px",
              border: "1px solid var(--gray-7)",
              background: "var(--color-panel-solid)",
              color: "var(--gray-12)",
              cursor: "pointer",
            },
          },
          resetText,
        )
      : null,
  );
}
