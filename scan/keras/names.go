package keras

import "strings"

func wordSet(lists ...string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for _, w := range strings.Fields(l) {
			m[w] = true
		}
	}
	return m
}

// builtinClasses are class names that Keras 2 (tf.keras) and Keras 3
// resolve from their own registries when a configuration carries no
// module. A name outside the set needs a custom object to load. The set is
// deliberately broad: a miss only costs a low-severity MW311.
var builtinClasses = wordSet(
	// models and structure
	`Sequential Functional Model InputLayer Input Lambda TFOpLambda SlicingOpLambda TFSMLayer TorchModuleWrapper JaxLayer FlaxLayer`,
	// core and merging layers
	`Dense EinsumDense Embedding Masking Identity Activation Dropout SpatialDropout1D SpatialDropout2D
	SpatialDropout3D GaussianDropout GaussianNoise AlphaDropout ActivityRegularization Flatten Reshape
	Permute RepeatVector Cropping1D Cropping2D Cropping3D UpSampling1D UpSampling2D UpSampling3D
	ZeroPadding1D ZeroPadding2D ZeroPadding3D Add Subtract Multiply Average Maximum Minimum Concatenate
	Dot Wrapper TimeDistributed Bidirectional Rescaling Normalization Resizing CenterCrop
	ReLU LeakyReLU PReLU ELU ThresholdedReLU Softmax`,
	// convolution and pooling
	`Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose Convolution1D Convolution2D
	Convolution3D Convolution2DTranspose Convolution3DTranspose SeparableConv1D SeparableConv2D
	SeparableConvolution1D SeparableConvolution2D DepthwiseConv1D DepthwiseConv2D LocallyConnected1D
	LocallyConnected2D MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D
	AveragePooling3D MaxPool1D MaxPool2D MaxPool3D AvgPool1D AvgPool2D AvgPool3D GlobalMaxPooling1D
	GlobalMaxPooling2D GlobalMaxPooling3D GlobalAveragePooling1D GlobalAveragePooling2D
	GlobalAveragePooling3D GlobalMaxPool1D GlobalMaxPool2D GlobalMaxPool3D GlobalAvgPool1D
	GlobalAvgPool2D GlobalAvgPool3D`,
	// recurrent and attention
	`RNN SimpleRNN SimpleRNNCell GRU GRUCell LSTM LSTMCell StackedRNNCells ConvLSTM1D ConvLSTM2D
	ConvLSTM3D CuDNNGRU CuDNNLSTM GRUV1 GRUV2 LSTMV1 LSTMV2 Attention AdditiveAttention
	MultiHeadAttention GroupQueryAttention GroupedQueryAttention`,
	// normalisation
	`BatchNormalization BatchNormalizationV1 BatchNormalizationV2 SyncBatchNormalization
	LayerNormalization GroupNormalization UnitNormalization SpectralNormalization RMSNormalization`,
	// preprocessing
	`TextVectorization StringLookup IntegerLookup CategoryEncoding Hashing HashedCrossing Discretization
	RandomFlip RandomRotation RandomZoom RandomCrop RandomTranslation RandomContrast RandomBrightness
	RandomHeight RandomWidth AutoContrast Solarization RandomGrayscale MelSpectrogram STFTSpectrogram`,
	// optimizers (Keras 2 also wrote the new ones as "Custom>Adam" etc.)
	`Adam AdamW Adamax Adadelta Adafactor Adagrad Ftrl Lion Nadam RMSprop SGD LossScaleOptimizer
	LossScaleOptimizerV3 Muon Lamb`,
	// learning-rate schedules
	`ExponentialDecay PiecewiseConstantDecay PolynomialDecay InverseTimeDecay CosineDecay
	CosineDecayRestarts`,
	// losses
	`Loss LossFunctionWrapper BinaryCrossentropy BinaryFocalCrossentropy CategoricalCrossentropy
	CategoricalFocalCrossentropy SparseCategoricalCrossentropy MeanSquaredError MeanAbsoluteError
	MeanAbsolutePercentageError MeanSquaredLogarithmicError Hinge SquaredHinge CategoricalHinge Huber
	LogCosh Poisson KLDivergence CosineSimilarity CTC Dice Tversky Circle`,
	// metrics
	`Metric MeanMetricWrapper Mean Sum Accuracy BinaryAccuracy CategoricalAccuracy
	SparseCategoricalAccuracy TopKCategoricalAccuracy SparseTopKCategoricalAccuracy AUC Precision Recall
	TruePositives TrueNegatives FalsePositives FalseNegatives PrecisionAtRecall RecallAtPrecision
	SensitivityAtSpecificity SpecificityAtSensitivity MeanIoU IoU BinaryIoU OneHotIoU OneHotMeanIoU
	RootMeanSquaredError LogCoshError F1Score FBetaScore R2Score PearsonCorrelation ConcordanceCorrelation
	MeanRelativeError MeanTensor`,
	// initializers, regularizers, constraints
	`Zeros Ones Constant RandomNormal RandomUniform TruncatedNormal VarianceScaling Orthogonal
	Identity GlorotNormal GlorotUniform HeNormal HeUniform LecunNormal LecunUniform IdentityInitializer
	STFT STFTInitializer OrthogonalInitializer L1 L2 L1L2 OrthogonalRegularizer MaxNorm MinMaxNorm
	NonNeg UnitNorm RadialConstraint`,
	// dtype policies and saved-object helpers
	`DTypePolicy FloatDTypePolicy QuantizedDTypePolicy QuantizedFloat8DTypePolicy DTypePolicyMap Policy
	SerializableDict TensorShape TensorSpec`,
)

// specialClasses are the markers Keras 3 writes for plain values.
var specialClasses = wordSet(`__keras_tensor__ __tuple__ __list__ __numpy__ __bytes__ __tensor__
	__typespec__ __ellipsis__ __slice__ __lambda__ __passive_serialization__ __complex__ __dtype__`)

// builtinFunctions are the names Keras 3 resolves when a function is
// written as {"module": "builtins", "class_name": "function", "config": name}:
// the activations, losses, metrics, initializers, regularizers and
// constraints that it finds under keras.<module>.<name>.
var builtinFunctions = wordSet(
	`relu relu6 leaky_relu elu selu gelu silu swish hard_silu hard_swish sigmoid hard_sigmoid
	log_sigmoid sparse_sigmoid softmax log_softmax softplus softsign tanh hard_tanh tanh_shrink
	hard_shrink soft_shrink exponential linear mish celu glu squareplus sparse_plus sparsemax threshold`,
	`binary_crossentropy binary_focal_crossentropy categorical_crossentropy categorical_focal_crossentropy
	sparse_categorical_crossentropy categorical_hinge hinge squared_hinge cosine_similarity ctc dice
	tversky circle huber log_cosh logcosh kl_divergence kld kullback_leibler_divergence poisson
	mean_absolute_error mae mean_absolute_percentage_error mape mean_squared_error mse
	mean_squared_logarithmic_error msle`,
	`accuracy acc binary_accuracy categorical_accuracy sparse_categorical_accuracy
	top_k_categorical_accuracy sparse_top_k_categorical_accuracy crossentropy ce`,
	`zeros ones constant random_normal random_uniform truncated_normal variance_scaling orthogonal
	identity glorot_normal glorot_uniform he_normal he_uniform lecun_normal lecun_uniform
	l1 l2 l1_l2 orthogonal_regularizer max_norm min_max_norm non_neg unit_norm`,
)

// pythonBuiltins are the names in Python's builtins module. Keras 3 up to
// 3.8 fell back to vars(importlib.import_module(module)).get(name), so a
// function reference into builtins reached any of them.
var pythonBuiltins = wordSet(`abs aiter all anext any ascii bin bool breakpoint bytearray bytes
	callable chr classmethod compile complex copyright credits delattr dict dir divmod enumerate eval
	exec exit filter float format frozenset getattr globals hasattr hash help hex id input int
	isinstance issubclass iter len license list locals map max memoryview min next object oct open
	ord pow print property quit range repr reversed round set setattr slice sorted staticmethod str
	sum super tuple type vars zip __import__ __build_class__ __loader__ __spec__ __builtins__`)

// harmlessBuiltins are Python builtins that compute values only.
var harmlessBuiltins = wordSet(`abs all any ascii bin bool callable chr complex divmod enumerate
	filter float format frozenset hash hex int isinstance issubclass iter len list map max min next
	oct ord pow range repr reversed round set slice sorted str sum tuple zip`)
