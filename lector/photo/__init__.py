"""Photos of pages: find the sheet, flatten it, turn its text level, even out its light, and
turn a page lying on its side or upside down upright (lector.photo.orientation).

`rectify(image)` is the entry point the pipeline calls before detection; its result carries the
map from the rectified image back to the original (lector.core.geometry.Homography).
"""
from lector.photo.deskew import Orientation, SkewConfig, SkewEstimate, estimate_skew
from lector.photo.light import LightConfig, normalise_light
from lector.photo.orientation import OrientationClassifier, OrientationConfig, OrientationEstimate
from lector.photo.page_finder import PageFinderConfig, PageQuad, find_page
from lector.photo.rectify import RectifyConfig, Rectified, page_to_original, rectify

__all__ = ["LightConfig", "Orientation", "OrientationClassifier", "OrientationConfig",
           "OrientationEstimate", "PageFinderConfig", "PageQuad", "RectifyConfig", "Rectified",
           "SkewConfig", "SkewEstimate", "estimate_skew", "find_page", "normalise_light", "page_to_original",
           "rectify"]
