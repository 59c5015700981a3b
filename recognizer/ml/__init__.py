"""Recognition of handwritten digits: decoding, preprocessing, training, serving.

Pure Python on numpy, Pillow and scikit-learn; nothing here imports Django,
so the model can be trained, evaluated and used without the web app.
"""
