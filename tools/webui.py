"""A web page that counts people: upload an image or a short video, or pick
an example; see the count, the density overlay and the head points.

Example:
    python tools/webui.py configs/hsrnet/hsrnet_shtech_b.py CKPT
    python tools/webui.py MODEL.onnx --backend onnxruntime --port 7860

Needs the ``demo`` extra (``pip install "hsrcount[demo]"``: Gradio). Large
images are counted by tiles; videos every ``--every``-th frame, at most
``--max-frames`` frames.
"""
import argparse
import os
import os.path as osp
import tempfile

import cv2
import numpy as np

from hsrcount.apis import count, init_model
from hsrcount.datasets.synthetic import draw_crowd
from hsrcount.visualization import draw_overlay

#: The examples offered under the upload box: synthetic crowds drawn by the
#: built-in generator (seed, people), so no image files ship with the tool.
EXAMPLES = ((0, 25), (1, 120), (2, 400))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Crowd counting web page')
    parser.add_argument('model', help='config file (with CHECKPOINT) or, '
                        'with --backend onnxruntime, an exported .onnx')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'],
                        default='pytorch')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--every', type=int, default=10,
                        help='videos: count every N-th frame')
    parser.add_argument('--max-frames', type=int, default=30,
                        help='videos: count at most this many frames')
    args = parser.parse_args(argv)
    if args.backend == 'pytorch' and args.checkpoint is None:
        parser.error('the pytorch backend needs CONFIG and CHECKPOINT')
    return args


def load_model(args):
    if args.backend == 'onnxruntime':
        from hsrcount.deployment import OnnxCounter
        return OnnxCounter(args.model)
    return init_model(args.model, args.checkpoint, device=args.device)


def example_images(folder):
    """Write the example crowds as JPEG files; return their paths."""
    paths = []
    for seed, people in EXAMPLES:
        img, _, _ = draw_crowd(np.random.default_rng(seed), (384, 512),
                               people)
        path = osp.join(folder, f'example_{people}_people.jpg')
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


class CountingPage:
    """The page's callbacks around one model.

    Args:
        model: A counter from :func:`init_model` or an ``OnnxCounter``.
        every (int): Videos: count every N-th frame.
        max_frames (int): Videos: the most frames counted.
    """

    def __init__(self, model, every=10, max_frames=30):
        self.model = model
        self.every = every
        self.max_frames = max_frames

    def count_image(self, rgb):
        """(H, W, 3) uint8 RGB -> (count text, overlay RGB, points)."""
        if rgb is None:
            return 'Upload an image first.', None, []
        bgr = np.ascontiguousarray(np.asarray(rgb)[..., ::-1])
        result = count(bgr, self.model)
        overlay = draw_overlay(bgr[..., ::-1], result.density,
                               result.count, points=result.points)
        points = [[round(float(x), 1), round(float(y), 1)]
                  for x, y in result.points]
        return f'{result.count:.1f}', overlay, points

    def count_video(self, path):
        """A video file -> (summary text, rows of frame and count)."""
        if not path:
            return 'Upload a video first.', []
        cap = cv2.VideoCapture(path)
        if not cap.isOpened():
            return f'Cannot open {osp.basename(path)} as a video.', []
        rows, index = [], 0
        try:
            while len(rows) < self.max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                if index % self.every == 0:
                    rows.append([index, round(count(frame,
                                                    self.model).count, 1)])
                index += 1
        finally:
            cap.release()
        if not rows:
            return f'{osp.basename(path)}: no frame could be read.', []
        mean = sum(r[1] for r in rows) / len(rows)
        return (f'{len(rows)} frames counted (every {self.every}th), mean '
                f'{mean:.1f} people', rows)


def build_app(page, examples):
    import gradio as gr
    with gr.Blocks(title='hsrcount') as app:
        gr.Markdown('# Count people\nUpload a crowd image (or pick an '
                    'example) and press **Count**. The overlay shows the '
                    'predicted density and a dot on each head found.')
        with gr.Tab('Image'):
            with gr.Row():
                image = gr.Image(type='numpy', label='Image',
                                 elem_id='image-input')
                overlay = gr.Image(type='numpy', label='Density and heads',
                                   elem_id='overlay-output')
            button = gr.Button('Count', variant='primary',
                               elem_id='count-button')
            total = gr.Textbox(label='People', elem_id='count-output')
            points = gr.JSON(label='Head points (x, y)')
            gr.Examples(examples=[[p] for p in examples], inputs=[image])
            button.click(page.count_image, inputs=[image],
                         outputs=[total, overlay, points])
        with gr.Tab('Video'):
            video = gr.Video(label='Short video', elem_id='video-input')
            video_button = gr.Button('Count frames', elem_id='video-button')
            summary = gr.Textbox(label='Summary', elem_id='video-summary')
            table = gr.Dataframe(headers=['frame', 'people'],
                                 label='Counts')
            video_button.click(page.count_video, inputs=[video],
                               outputs=[summary, table])
    return app


def main(argv=None):
    args = parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise SystemExit('tools/webui.py needs Gradio: pip install '
                         '"hsrcount[demo]"')
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    page = CountingPage(load_model(args), args.every, args.max_frames)
    examples = example_images(tempfile.mkdtemp(prefix='hsrcount-webui-'))
    app = build_app(page, examples)
    print(f'serving on http://{args.host}:{args.port}', flush=True)
    app.launch(server_name=args.host, server_port=args.port, share=False)


if __name__ == '__main__':
    main()
