# The test adds an S3 gateway endpoint here, in the editor only, which answers PERF046 in main.tf.
