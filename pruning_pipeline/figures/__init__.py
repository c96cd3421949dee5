"""Figures: display binning of the stored histograms, the figure style, the plot
builders, the catalog (stem, title, caption, page of every figure) with the data
behind each, and the cached, byte-reproducible export. No torch here.
"""
