"""Plate detector: a compact CenterNet-style network of our own design.

A small convolutional backbone (stride 32) with a top-down path back to stride 4 predicts, per
cell, a plate-centre heatmap, the centre's sub-cell offset and the box's log width and height.
Decoding keeps local maxima above a score threshold: no anchors, no NMS tuning. Chosen over
torchvision's ``ssdlite320_mobilenet_v3_large`` and ``fasterrcnn_mobilenet_v3_large_fpn``
because those, trained from scratch, need far more CPU time than we have to converge and are
5-20x slower per frame on CPU (see the model card).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

STRIDE = 4


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class PlateDetector(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(_conv(3, 16, 2), _conv(16, 24, 2), _conv(24, 24))  # /4
        self.s8 = nn.Sequential(_conv(24, 40, 2), _conv(40, 40))
        self.s16 = nn.Sequential(_conv(40, 64, 2), _conv(64, 64))
        self.s32 = nn.Sequential(_conv(64, 96, 2), _conv(96, 96), _conv(96, 96))
        self.lat16 = nn.Conv2d(64, 48, 1)
        self.lat8 = nn.Conv2d(40, 48, 1)
        self.lat4 = nn.Conv2d(24, 48, 1)
        self.top = nn.Conv2d(96, 48, 1)
        self.smooth = _conv(48, 48)
        self.heatmap = nn.Sequential(_conv(48, 32), nn.Conv2d(32, 1, 1))
        self.boxes = nn.Sequential(_conv(48, 32), nn.Conv2d(32, 4, 1))
        last = self.heatmap[-1]
        assert isinstance(last, nn.Conv2d)
        assert last.bias is not None
        nn.init.constant_(last.bias, -2.19)  # start at p=0.1: stable focal loss

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``images`` ``(N, 3, H, W)`` in [0, 1], H and W multiples of 32 -> heatmap logits
        ``(N, 1, H/4, W/4)`` and box terms ``(N, 4, H/4, W/4)`` (dx, dy, log w, log h, in cells)."""
        x4 = self.stem((images - 0.5) / 0.25)
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        x32 = self.s32(x16)
        p = self.top(x32)
        p = self.lat16(x16) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.lat8(x8) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.lat4(x4) + F.interpolate(p, scale_factor=2.0, mode="nearest")
        p = self.smooth(p)
        return self.heatmap(p), self.boxes(p)


@dataclass(frozen=True, slots=True)
class Detection:
    x: float
    y: float
    w: float
    h: float
    score: float


def decode(
    heatmap: torch.Tensor, boxes: torch.Tensor, threshold: float, max_plates: int = 20, iou: float = 0.3
) -> list[list[Detection]]:
    """Local maxima of each image's heatmap above ``threshold`` -> boxes in input pixels; a weaker
    peak overlapping a stronger one (a plate's second peak) is dropped by NMS (``nms``)."""
    scores = heatmap.sigmoid()
    peaks = (scores == F.max_pool2d(scores, 5, 1, 2)) & (scores >= threshold)
    out: list[list[Detection]] = []
    for n in range(scores.shape[0]):
        ys, xs = torch.nonzero(peaks[n, 0], as_tuple=True)
        terms = boxes[n, :, ys, xs]  # 4, K
        cx, cy = (xs + terms[0]) * STRIDE, (ys + terms[1]) * STRIDE
        w, h = terms[2].clamp(max=8).exp() * STRIDE, terms[3].clamp(max=8).exp() * STRIDE
        corners = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=1)
        conf = scores[n, 0, ys, xs]
        keep = nms(corners, conf, iou)
        found = [
            Detection(float(x0), float(y0), float(x1 - x0), float(y1 - y0), float(c))
            for (x0, y0, x1, y1), c in zip(corners[keep].tolist(), conf[keep].tolist(), strict=True)
        ]
        out.append(_drop_contained(found)[:max_plates])
    return out


def nms(corners: torch.Tensor, scores: torch.Tensor, iou: float) -> torch.Tensor:
    """Greedy non-maximum suppression, ``torchvision.ops.nms``'s rule: by falling score, a box
    is kept unless its IoU with a box already kept exceeds ``iou``; answers the indices kept.
    Ours rather than torchvision's because importing torchvision brings ``torch._dynamo`` (1.3 s
    of every recognition process's start, for one call over a few dozen peaks); the tests check
    that the two keep the same boxes. Runs on the CPU (a few dozen boxes); answers indices on
    the boxes' device."""
    device = corners.device
    corners, scores = corners.detach().cpu(), scores.detach().cpu()
    order = torch.sort(scores, descending=True, stable=True).indices
    boxes = corners[order]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    suppressed = torch.zeros(len(boxes), dtype=torch.bool)
    kept: list[int] = []
    for i in range(len(boxes)):  # one row of overlaps per kept box: memory stays linear
        if suppressed[i]:
            continue
        kept.append(i)
        top_left = torch.maximum(boxes[i, :2], boxes[:, :2])
        bottom_right = torch.minimum(boxes[i, 2:], boxes[:, 2:])
        inter = (bottom_right - top_left).clamp(min=0).prod(dim=1)
        suppressed |= inter / (area[i] + area - inter) > iou
    return order[kept].to(device)


def _drop_contained(found: list[Detection]) -> list[Detection]:
    """Drops a weaker box lying mostly inside a stronger one: a caption or half of a plate
    that NMS keeps because its IoU with the whole plate is small. ``found`` is by score."""
    kept: list[Detection] = []
    for det in found:
        if all(_inside(det, other) < 0.5 for other in kept):
            kept.append(det)
    return kept


def _inside(a: Detection, b: Detection) -> float:
    """The share of the smaller box's area that the two boxes have in common."""
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return ix * iy / max(1e-6, min(a.w * a.h, b.w * b.h))
